namespace EquivarianceRegularizer.Transforms;

/// <summary>One named transform of the <see cref="TransformCatalogue"/>: how it is written, what it does, how it is built.</summary>
internal sealed class TransformEntry
{
    private readonly Func<string?, long[], string, IGroupTransform> _create;

    internal TransformEntry(string syntax, string description, Func<string?, long[], string, IGroupTransform> create,
        Func<ImageFlowOptions?, IContinuousTransform>? flow = null)
    {
        Syntax = syntax;
        Description = description;
        _create = create;
        Flow = flow;
    }

    /// <summary>For the image and colour flows, their factory (with the flow options); null otherwise.</summary>
    internal Func<ImageFlowOptions?, IContinuousTransform>? Flow { get; }

    /// <summary>The name with its parameters, e.g. "roll[:dim=K]".</summary>
    public string Syntax { get; }

    /// <summary>What it does, with its group and its parameter ranges.</summary>
    public string Description { get; }

    /// <summary>Whether `eqv lie --generators` and `eqv audit --lee` take it: the image and colour flows (each an
    /// <see cref="IContinuousTransform"/>; the vector rotations are continuous too but act on vectors, not images).</summary>
    public bool Continuous => Flow is not null;

    /// <summary>The name without parameters ("roll").</summary>
    public string Name => Syntax.Split('[', ':')[0];

    /// <summary>Builds it for samples of <paramref name="sampleShape"/> (batch axis excluded); <paramref name="argument"/> is what followed ':'.</summary>
    internal IGroupTransform Create(string? argument, long[] sampleShape, string written) => _create(argument, sampleShape, written);
}
