namespace EquivarianceRegularizer.Cli;

/// <summary>One CLI transform: how it is written, what it does, and which options accept it.</summary>
/// <param name="Syntax">The name with its parameters, e.g. "roll[:dim=K]".</param>
/// <param name="Description">What it does, with its group and its parameter ranges.</param>
/// <param name="Continuous">Whether it interpolates (accepted by `eqv lie --generators` and `eqv audit --lee`).</param>
public sealed record TransformEntry(string Syntax, string Description, bool Continuous)
{
    /// <summary>The name without parameters ("roll").</summary>
    public string Name => Syntax.Split('[', ':')[0];
}

/// <summary>
/// Every transform the command line knows, described once: `eqv audit --help`, `eqv lie --help` and docs/audit.md
/// print this table (a test checks the docs against it).
/// </summary>
public static class TransformCatalogue
{
    /// <summary>The entries, finite transforms first.</summary>
    public static IReadOnlyList<TransformEntry> All { get; } = new TransformEntry[]
    {
        new("rot90", "rotation by quarter turns (C4) of the last two axes (H, W)", false),
        new("flip-h", "mirror of the last axis (W) (C2)", false),
        new("flip-v", "mirror of the second-last axis (H) (C2)", false),
        new("d4", "the 8 rotations and mirrors of the square (dihedral group D4) on H, W", false),
        new("roll[:dim=K]", "cyclic shift by every offset along axis K (Z_n); K counts non-batch axes from 0, default the last", false),
        new("permute[:dim=K]", "random permutations of axis K (S_n); default axis 0 (the set axis of N,S,F input)", false),
        new("so2-vector", "Haar-random rotations of the last axis, which must have size 2 (SO(2))", false),
        new("so3-vector", "Haar-random rotations of the last axis, which must have size 3 (SO(3))", false),
        new("translate-x", "translation along W by t ∈ [-0.25, 0.25] frame units (1 unit = half the width), bilinear", true),
        new("translate-y", "translation along H by t ∈ [-0.25, 0.25] frame units, bilinear", true),
        new("translate", "2-D translation: (t_x, t_y) drawn independently from [-0.25, 0.25]; its Lie derivative is along (1, 1)/√2", true),
        new("rotate", "rotation by t ∈ [-π/6, π/6] radians about the image centre (SO(2)), bilinear", true),
        new("scale", "scaling by e^t, t ∈ [-0.2, 0.2], about the image centre, bilinear", true),
        new("shear", "horizontal shear by t ∈ [-0.2, 0.2], bilinear", true),
        new("stretch", "stretch e^t along W and e^-t along H, t ∈ [-0.2, 0.2], bilinear", true),
        new("brightness", "every channel times e^t, t ∈ [-0.2, 0.2]", true),
        new("saturation", "RGB saturation gray + e^t·(x − gray), t ∈ [-0.3, 0.3]; needs 3 channels", true),
        new("hue", "rotation of RGB about the gray axis by t ∈ [-π/6, π/6]; needs 3 channels", true),
    };

    /// <summary>The names of the continuous transforms (for --generators and --lee).</summary>
    public static IReadOnlyList<string> ContinuousNames { get; } = All.Where(e => e.Continuous).Select(e => e.Name).ToArray();

    /// <summary>The table as help text, one transform a line, under <paramref name="heading"/>.</summary>
    public static string HelpText(string heading, bool continuousOnly)
    {
        var entries = All.Where(e => e.Continuous || !continuousOnly).ToList();
        int width = entries.Max(e => e.Syntax.Length);
        return heading + "\n" + string.Join("\n", entries.Select(e => "  " + e.Syntax.PadRight(width) + "  " + e.Description));
    }
}
