using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// End-to-end LEE (input tangent + one jvp + per-sample reduction) against a plain forward pass of the same batch (the
/// baseline), by libtorch's forward-mode AD (<see cref="JvpMethod.ForwardMode"/>, what <see cref="JvpMethod.Auto"/>
/// picks where it is available) and by double backward (the fallback), plus their components.
/// Run: dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --filter '*LieDerivativeBenchmarks*' --job short
/// </summary>
public class LieDerivativeBenchmarks : ForwardBaselineBenchmark
{
    private readonly TranslationX _translation = new();
    private LieOptions _options = null!;
    private LieOptions _doubleBackwardOptions = null!;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        using var g = new Generator(1);
        Model = BenchCnn.LieCnn(g);
        X = rand(new long[] { Batch, 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        _options = new LieOptions { BatchSize = Batch, Method = LieDerivativeMethod.ForwardMode };
        _doubleBackwardOptions = _options with { Method = LieDerivativeMethod.DoubleBackward };
        if (!Jvp.ForwardModeAvailable)
            Console.WriteLine($"Forward mode unavailable ({Jvp.ForwardModeUnavailableReason}); the forward-mode rows will throw.");
        V = _translation.Tangent(X).DetachFromDisposeScope();
    }

    /// <summary>The batch (for <see cref="LeeProfile"/>).</summary>
    internal Tensor Input => X;

    /// <summary>The input tangent (for <see cref="LeeProfile"/>).</summary>
    internal Tensor InputTangent => V;

    /// <summary>End-to-end LEE along translate-x by forward mode (what LocalEquivarianceError.Measure does).</summary>
    [Benchmark]
    public double LeeForwardMode() => LocalEquivarianceError.Measure(Model.call, X, _translation, _options).Value;

    /// <summary>End-to-end LEE along translate-x by double backward (the fallback where forward mode is unavailable).</summary>
    [Benchmark]
    public double LeeDoubleBackward() => LocalEquivarianceError.Measure(Model.call, X, _translation, _doubleBackwardOptions).Value;

    /// <summary>Components of LeeForwardMode: the input tangent alone.</summary>
    [Benchmark]
    public double TangentOnly()
    {
        using var scope = NewDisposeScope();
        return _translation.Tangent(X).sum().ToDouble();
    }

    /// <summary>Components of LeeForwardMode: the jvp alone (tangent precomputed).</summary>
    [Benchmark]
    public double JvpOnly()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Jvp.Compute(Model.call, X, V, JvpMethod.ForwardMode).Tangent.sum().ToDouble();
    }

    /// <summary>The same Lie derivative by the double-backward trick (grad with create_graph, then grad again).</summary>
    [Benchmark]
    public double LieDoubleBackward()
    {
        using var scope = NewDisposeScope();
        var lie = LieDerivative.ByDoubleBackward(Model.call, X, _translation);
        return lie.square().mean().ToDouble();
    }

    /// <summary>Symmetric finite differences (two resamplings and two forwards), for scale.</summary>
    [Benchmark]
    public double LieFiniteDifference()
    {
        using var scope = NewDisposeScope();
        var lie = LieDerivative.ByFiniteDifference(Model.call, X, _translation, 1e-3);
        return lie.square().mean().ToDouble();
    }
}
