using System.Globalization;

namespace EquivarianceRegularizer.Groups;

/// <summary>
/// A connected Lie group sampled through parameters: an element is one float64 row of <see cref="ParameterCount"/>
/// parameters per sample, drawn uniformly from <see cref="Range"/>. Its <see cref="Generator"/> is the direction in
/// parameter space of the one-parameter subgroup g_t = <see cref="At"/>(t) that Lie derivatives differentiate along.
/// Parameters compose by addition (R^d, and SO(2) by its angle: both abelian); a subclass with another law overrides
/// <see cref="Compose"/> and <see cref="Inverse"/>.
/// </summary>
public abstract class ContinuousGroup : Group
{
    private static readonly double[] FirstParameter = { 1.0 };
    private readonly Func<double[], string>? _describe;

    /// <summary>Creates the group.</summary>
    /// <param name="name">Name in reports.</param>
    /// <param name="dimension">The group's dimension (e.g. 1 for SO(2), 3 for SO(3)).</param>
    /// <param name="range">The interval each drawn parameter comes from.</param>
    /// <param name="generator">The one-parameter subgroup's direction in parameter space (default: the first parameter).</param>
    /// <param name="describe">Names one element's parameters in reports.</param>
    protected ContinuousGroup(string name, int dimension, ParameterRange range, double[]? generator, Func<double[], string>? describe) : base(name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Dimension = dimension;
        Range = range;
        Generator = (generator ?? FirstParameter).ToArray();
        if (Generator.Count == 0 || Generator.Any(g => !double.IsFinite(g)))
            throw new ArgumentException("The generator needs at least one finite component.", nameof(generator));
        _describe = describe;
    }

    /// <summary>The group's dimension.</summary>
    public int Dimension { get; }

    /// <summary>Parameters per element (the generator's length).</summary>
    public int ParameterCount => Generator.Count;

    /// <summary>The interval each parameter is drawn from.</summary>
    public ParameterRange Range { get; }

    /// <summary>The one-parameter subgroup's direction: g_t has parameters t·Generator.</summary>
    public IReadOnlyList<double> Generator { get; }

    /// <summary>Parameters uniform in <see cref="Range"/>.</summary>
    public override GroupElements Sample(long batch, Generator generator)
    {
        CheckSampleArguments(batch, generator);
        using var scope = NewDisposeScope();
        var u = rand(new[] { batch, (long)ParameterCount }, dtype: ScalarType.Float64, generator: generator);
        return Elements((u * (Range.Max - Range.Min) + Range.Min).MoveToOuterDisposeScope());
    }

    /// <summary>g_t for every sample of a batch: the parameters t·<see cref="Generator"/>.</summary>
    public GroupElements At(double t, long batch)
    {
        if (!double.IsFinite(t)) throw new ArgumentOutOfRangeException(nameof(t), t, "t must be finite.");
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var row = Generator.Select(g => g * t).ToArray();
        return Elements(tensor(Enumerable.Repeat(row, (int)batch).SelectMany(r => r).ToArray(), new[] { batch, (long)ParameterCount }));
    }

    /// <summary>Zero parameters.</summary>
    public override GroupElements Identity(long batch, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        return Elements(zeros(new[] { batch, (long)ParameterCount }, ScalarType.Float64, device));
    }

    /// <summary>Negated parameters.</summary>
    public override GroupElements Inverse(GroupElements elements) => Elements(Own(elements).Values.neg());

    /// <summary>Added parameters.</summary>
    public override GroupElements Compose(GroupElements a, GroupElements b)
    {
        long batch = ProductBatch(Own(a), Own(b));
        using var scope = NewDisposeScope();
        var sum = (a.Values + b.Values.OnDevice(a.Values.device)).expand(batch, ParameterCount).contiguous();
        return Elements(sum.MoveToOuterDisposeScope());
    }

    /// <summary>Wraps given parameters (batch × <see cref="ParameterCount"/>, float64); takes ownership.</summary>
    public GroupElements Elements(Tensor parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Rank() != 2 || parameters.size(1) != ParameterCount)
            throw new ArgumentException($"{Name} takes batch × {ParameterCount} parameters, got shape [{string.Join(", ", parameters.shape)}].", nameof(parameters));
        var p = parameters.dtype == ScalarType.Float64 ? parameters : parameters.to(ScalarType.Float64);
        var data = Readback<double>(p);
        int d = ParameterCount;
        return new GroupElements(this, p, i =>
        {
            var row = data().Skip(i * d).Take(d).ToArray();
            return _describe?.Invoke(row) ?? Name + " " + string.Join(",", row.Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));
        });
    }

    /// <inheritdoc/>
    protected override object Structure => Dimension;

    /// <summary>A describer for reports: "<paramref name="name"/> p₁,p₂…" (e.g. "translate-x 0.125").</summary>
    public static Func<double[], string> DescribedAs(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return p => name + " " + string.Join(",", p.Select(v => v.ToString("G4", CultureInfo.InvariantCulture)));
    }
}
