namespace EquivarianceRegularizer.Transforms;

/// <summary>Axis helpers shared by the transforms: axes are given relative to the sample (batch axis excluded).</summary>
internal static class Axes
{
    /// <summary>Checks the arguments of <see cref="IGroupTransform.Apply"/>: elements of this transform's group, one per sample of x.</summary>
    public static void CheckApply(IGroupTransform transform, Tensor x, GroupElements elements)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(elements);
        if (elements.Group != transform.Group)
            throw new ArgumentException($"{transform.Name} acts by {transform.Group} but was given elements of {elements.Group}.", nameof(elements));
        if (x.Rank() == 0 || x.size(0) != elements.BatchSize)
            throw new ArgumentException($"{transform.Name}: x has batch {(x.Rank() == 0 ? 0 : x.size(0))} but {elements.BatchSize} elements were drawn.", nameof(x));
    }

    /// <summary>Resolves a per-sample axis (negative counts from the end) to a tensor dimension of <paramref name="x"/>.</summary>
    public static long Resolve(Tensor x, int axis, string transform)
    {
        int sampleDims = x.Rank() - 1;
        int a = axis < 0 ? axis + sampleDims : axis;
        if (a < 0 || a >= sampleDims)
            throw new ArgumentException($"{transform}: axis {axis} does not exist in samples of shape [{string.Join(", ", x.shape.Skip(1))}].", nameof(x));
        return a + 1;
    }
}
