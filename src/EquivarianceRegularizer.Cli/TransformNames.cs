using System.Globalization;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Cli;

/// <summary>Maps command-line transform names to transforms, given the per-sample input shape.</summary>
public static class TransformNames
{
    /// <summary>Names accepted by --transform, as <see cref="TransformCatalogue"/> writes them (continuous ones interpolate).</summary>
    public static IReadOnlyList<string> Known { get; } = TransformCatalogue.All.Select(e => e.Syntax).ToArray();

    /// <summary>Creates the transform <paramref name="name"/> for samples of shape <paramref name="sampleShape"/>.</summary>
    /// <exception cref="ArgumentException">Unknown or unavailable name, or a shape it cannot act on.</exception>
    public static IGroupTransform Parse(string name, long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(sampleShape);
        string n = name.Trim().ToLowerInvariant();
        string? arg = null;
        int colon = n.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) { arg = n[(colon + 1)..]; n = n[..colon]; }
        if (arg is not null && n != "permute" && n != "roll")
            throw new ArgumentException($"transform '{name}' takes no ':' options (only permute:dim=K and roll:dim=K do).", nameof(name));
        switch (n)
        {
            case "rot90": return RequireSpatial(new RotationByQuarterTurns(), sampleShape, name);
            case "flip-h": return RequireSpatial(Flip.Horizontal(), sampleShape, name, 1);
            case "flip-v": return RequireSpatial(Flip.Vertical(), sampleShape, name);
            case "d4": return RequireSpatial(new DihedralTransform(), sampleShape, name);
            case "roll":
            {
                int dim = ParseDim(arg, sampleShape, name, sampleShape.Length - 1);
                return new CyclicShift(checked((int)sampleShape[dim]), dim);
            }
            case "permute":
            {
                int dim = ParseDim(arg, sampleShape, name, 0);
                long size = sampleShape[dim];
                if (size < 2) throw new ArgumentException($"permute: axis {dim} has length {size}; a permutation test needs at least 2 elements.", nameof(name));
                return new Permutation(checked((int)size), dim) { ForceNonIdentity = true };
            }
            case "so2-vector":
            case "so3-vector":
                return VectorRotation(n, sampleShape);
        }
        try
        {
            var t = ContinuousTransforms.Create(n);
            if (sampleShape.Length < 2)
                throw new ArgumentException($"{name} acts on images (C,H,W or H,W); the input shape [{string.Join(",", sampleShape)}] has no spatial axes.", nameof(name));
            return t;
        }
        catch (ArgumentException) when (!ContinuousTransforms.Names.Contains(n))
        {
            throw new ArgumentException($"unknown transform '{name}'; expected one of {string.Join(", ", Known)} (eqv audit --help describes each).", nameof(name));
        }
    }

    /// <summary>Resolves --output: "invariant", "equivariant" (same as the input transform) or a transform name.</summary>
    public static SymmetrySpec Symmetry(IGroupTransform input, string output, long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output.Trim().ToLowerInvariant() switch
        {
            "invariant" => SymmetrySpec.Invariant(input),
            "equivariant" => SymmetrySpec.Equivariant(input),
            _ => SymmetrySpec.Equivariant(input, Parse(output, sampleShape)),
        };
    }

    private static IGroupTransform RequireSpatial(IGroupTransform t, long[] shape, string name, int minAxes = 2)
    {
        if (shape.Length < minAxes)
            throw new ArgumentException($"{name} needs at least {minAxes} sample axes; the input shape is [{string.Join(",", shape)}].", nameof(name));
        return t;
    }

    private static int ParseDim(string? arg, long[] shape, string name, int fallback)
    {
        int dim = fallback;
        if (arg is not null)
        {
            if (!arg.StartsWith("dim=", StringComparison.Ordinal) || !int.TryParse(arg.AsSpan(4), NumberStyles.Integer, CultureInfo.InvariantCulture, out dim))
                throw new ArgumentException($"'{name}': expected ':dim=K' with K an integer counting non-batch axes.", nameof(name));
        }
        if (dim < 0) dim += shape.Length;
        if (dim < 0 || dim >= shape.Length)
            throw new ArgumentException($"'{name}': axis {dim} does not exist in input shape [{string.Join(",", shape)}] (axes count non-batch dimensions from 0).", nameof(name));
        return dim;
    }

    private static IGroupTransform VectorRotation(string n, long[] shape)
    {
        int d = n == "so2-vector" ? 2 : 3;
        if (shape.Length < 1 || shape[^1] != d)
            throw new ArgumentException($"{n} rotates the last axis, which must have size {d}; the input shape is [{string.Join(",", shape)}].", nameof(n));
        return d == 2 ? new VectorRotation2D() : new VectorRotation3D();
    }
}
