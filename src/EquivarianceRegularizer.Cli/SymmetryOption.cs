using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Cli;

/// <summary>`eqv audit --output`: how the symmetry acts on the model's outputs.</summary>
public static class SymmetryOption
{
    /// <summary>Resolves --output: "invariant", "equivariant" (the input transform acts on outputs too) or a transform name.</summary>
    public static Symmetry Resolve(IGroupTransform input, string output, long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output.Trim().ToLowerInvariant() switch
        {
            "invariant" => Symmetry.Invariant(input),
            "equivariant" => Symmetry.Equivariant(input),
            _ => Symmetry.Equivariant(input, TransformCatalogue.Create(output, sampleShape)),
        };
    }
}
