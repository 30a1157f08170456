using System.Globalization;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Every transform known by name, described once: the command line (`eqv audit --transform/--output/--lee`,
/// `eqv lie --generators`), its `--help` and docs/audit.md all read this table (a test checks the docs against it).
/// A new transform gets its file in <c>Finite/</c> or <c>Continuous/</c> and its line here.
/// </summary>
internal static class TransformCatalogue
{
    /// <summary>The entries, finite transforms first.</summary>
    public static IReadOnlyList<TransformEntry> All { get; } = new TransformEntry[]
    {
        new("rot90", "rotation by quarter turns (C4) of the last two axes (H, W)", (_, s, n) => Spatial(new RotationByQuarterTurns(), s, n)),
        new("flip-h", "mirror of the last axis (W) (C2)", (_, s, n) => Spatial(Flip.Horizontal(), s, n, 1)),
        new("flip-v", "mirror of the second-last axis (H) (C2)", (_, s, n) => Spatial(Flip.Vertical(), s, n)),
        new("d4", "the 8 rotations and mirrors of the square (dihedral group D4) on H, W", (_, s, n) => Spatial(new DihedralTransform(), s, n)),
        new("roll[:dim=K]", "cyclic shift by every offset along axis K (Z_n); K counts non-batch axes from 0, default the last", (a, s, n) =>
        {
            int dim = Dim(a, s, n, s.Length - 1);
            return new CyclicShift(checked((int)s[dim]), dim);
        }),
        new("permute[:dim=K]", "random permutations of axis K (S_n); default axis 0 (the set axis of N,S,F input)", (a, s, n) =>
        {
            int dim = Dim(a, s, n, 0);
            if (s[dim] < 2) throw new ArgumentException($"permute: axis {dim} has length {s[dim]}; a permutation test needs at least 2 elements.", nameof(n));
            return new Permutation(checked((int)s[dim]), dim);
        }),
        new("so2-vector", "Haar-random rotations of the last axis, which must have size 2 (SO(2))", (_, s, n) => Vector(new VectorRotation2D(), 2, s, n)),
        new("so3-vector", "Haar-random rotations of the last axis, which must have size 3 (SO(3))", (_, s, n) => Vector(new VectorRotation3D(), 3, s, n)),
        Flow("translate-x", "translation along W by t ∈ [-0.25, 0.25] frame units (1 unit = half the width), bilinear", o => new TranslationX(options: o)),
        Flow("translate-y", "translation along H by t ∈ [-0.25, 0.25] frame units, bilinear", o => new TranslationY(options: o)),
        Flow("translate", "2-D translation: (t_x, t_y) drawn independently from [-0.25, 0.25]; its Lie derivative is along (1, 1)/√2", o => new Translation2D(options: o)),
        Flow("rotate", "rotation by t ∈ [-π/6, π/6] radians about the image centre (SO(2)), bilinear", o => new Rotation(options: o)),
        Flow("scale", "scaling by e^t, t ∈ [-0.2, 0.2], about the image centre, bilinear", o => new Scaling(options: o)),
        Flow("shear", "horizontal shear by t ∈ [-0.2, 0.2], bilinear", o => new Shear(options: o)),
        Flow("stretch", "stretch e^t along W and e^-t along H, t ∈ [-0.2, 0.2], bilinear", o => new Stretch(options: o)),
        Flow("brightness", "every channel times e^t, t ∈ [-0.2, 0.2]", _ => new Brightness()),
        Flow("saturation", "RGB saturation gray + e^t·(x − gray), t ∈ [-0.3, 0.3]; needs 3 channels", _ => new Saturation()),
        Flow("hue", "rotation of RGB about the gray axis by t ∈ [-π/6, π/6]; needs 3 channels", _ => new Hue()),
    };

    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["tx"] = "translate-x", ["ty"] = "translate-y", ["translate-2d"] = "translate", ["rotation"] = "rotate", ["scaling"] = "scale",
    };

    /// <summary>The names of the continuous transforms (for --generators and --lee).</summary>
    public static IReadOnlyList<string> ContinuousNames { get; } = All.Where(e => e.Continuous).Select(e => e.Name).ToArray();

    /// <summary>
    /// Builds the transform written <paramref name="name"/> (e.g. "rot90", "roll:dim=1") for samples of shape
    /// <paramref name="sampleShape"/> (batch axis excluded).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name, options it does not take, or a shape it cannot act on.</exception>
    public static IGroupTransform Create(string name, long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(sampleShape);
        string n = name.Trim().ToLowerInvariant();
        string? arg = null;
        int colon = n.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0) { arg = n[(colon + 1)..]; n = n[..colon]; }
        n = Aliases.GetValueOrDefault(n, n);
        var entry = All.FirstOrDefault(e => e.Name == n)
            ?? throw new ArgumentException($"unknown transform '{name}'; expected one of {string.Join(", ", All.Select(e => e.Syntax))} (eqv audit --help describes each).", nameof(name));
        if (arg is not null && !entry.Syntax.Contains(':', StringComparison.Ordinal))
            throw new ArgumentException($"transform '{name}' takes no ':' options (only permute:dim=K and roll:dim=K do).", nameof(name));
        return entry.Create(arg, sampleShape, name);
    }

    /// <summary>The continuous transform <paramref name="name"/> (a name of <see cref="ContinuousNames"/> or an alias: tx, ty, translate-2d, rotation, scaling).</summary>
    /// <exception cref="ArgumentException">Not the name of a continuous transform.</exception>
    public static IContinuousTransform CreateContinuous(string name, ImageFlowOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        string n = name.Trim().ToLowerInvariant();
        n = Aliases.GetValueOrDefault(n, n);
        return All.FirstOrDefault(e => e.Name == n)?.Flow is { } make ? make(options)
            : throw new ArgumentException($"Unknown continuous transform '{name}'; expected one of {string.Join(", ", ContinuousNames)}.", nameof(name));
    }

    /// <summary>The table as help text, one transform a line, under <paramref name="heading"/>.</summary>
    public static string HelpText(string heading, bool continuousOnly)
    {
        ArgumentNullException.ThrowIfNull(heading);
        var entries = All.Where(e => e.Continuous || !continuousOnly).ToList();
        int width = entries.Max(e => e.Syntax.Length);
        return heading + "\n" + string.Join("\n", entries.Select(e => "  " + e.Syntax.PadRight(width) + "  " + e.Description));
    }

    private static TransformEntry Flow(string name, string description, Func<ImageFlowOptions?, IContinuousTransform> make) =>
        new(name, description, (_, s, written) =>
        {
            if (s.Length < 2)
                throw new ArgumentException($"{written} acts on images (C,H,W or H,W); the input shape [{string.Join(",", s)}] has no spatial axes.", nameof(name));
            return make(null);
        }, make);

    private static IGroupTransform Spatial(IGroupTransform t, long[] shape, string name, int minAxes = 2) =>
        shape.Length >= minAxes ? t
            : throw new ArgumentException($"{name} needs at least {minAxes} sample axes; the input shape is [{string.Join(",", shape)}].", nameof(name));

    private static IGroupTransform Vector(IGroupTransform t, int d, long[] shape, string name) =>
        shape.Length >= 1 && shape[^1] == d ? t
            : throw new ArgumentException($"{name} rotates the last axis, which must have size {d}; the input shape is [{string.Join(",", shape)}].", nameof(name));

    private static int Dim(string? arg, long[] shape, string name, int fallback)
    {
        int dim = fallback;
        if (arg is not null && (!arg.StartsWith("dim=", StringComparison.Ordinal) || !int.TryParse(arg.AsSpan(4), NumberStyles.Integer, CultureInfo.InvariantCulture, out dim)))
            throw new ArgumentException($"'{name}': expected ':dim=K' with K an integer counting non-batch axes.", nameof(name));
        if (dim < 0) dim += shape.Length;
        if (dim < 0 || dim >= shape.Length)
            throw new ArgumentException($"'{name}': axis {dim} does not exist in input shape [{string.Join(",", shape)}] (axes count non-batch dimensions from 0).", nameof(name));
        return dim;
    }
}
