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
public class LieDerivativeBenchmarks
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private Tensor _x = null!;
    private readonly TranslationX _translation = new();
    private LieOptions _options = null!;
    private LieOptions _doubleBackwardOptions = null!;
    private Tensor _v = null!;

    /// <summary>Images per batch.</summary>
    [Params(64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        using var g = new Generator(1);
        _model = BenchCnn.LieCnn(g);
        _x = rand(new long[] { Batch, 1, 28, 28 }, generator: g).DetachFromDisposeScope();
        _options = new LieOptions { BatchSize = Batch, Method = LieDerivativeMethod.ForwardMode };
        _doubleBackwardOptions = _options with { Method = LieDerivativeMethod.DoubleBackward };
        if (!Jvp.ForwardModeAvailable)
            Console.WriteLine($"Forward mode unavailable ({Jvp.ForwardModeUnavailableReason}); the forward-mode rows will throw.");
        _v = _translation.Tangent(_x).DetachFromDisposeScope();
    }

    /// <summary>The benchmark's model, batch and input tangent (for <see cref="LeeProfile"/>).</summary>
    internal nn.Module<Tensor, Tensor> Model => _model;

    internal Tensor Input => _x;

    internal Tensor InputTangent => _v;

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _x.Dispose();
        _v.Dispose();
    }

    /// <summary>One inference forward pass of the batch.</summary>
    [Benchmark(Baseline = true)]
    public double Forward()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return _model.call(_x).sum().ToDouble();
    }

    /// <summary>End-to-end LEE along translate-x by forward mode (what LocalEquivarianceError.Measure does).</summary>
    [Benchmark]
    public double LeeForwardMode() => LocalEquivarianceError.Measure(_model.call, _x, _translation, _options).Value;

    /// <summary>End-to-end LEE along translate-x by double backward (the fallback where forward mode is unavailable).</summary>
    [Benchmark]
    public double LeeDoubleBackward() => LocalEquivarianceError.Measure(_model.call, _x, _translation, _doubleBackwardOptions).Value;

    /// <summary>Components of LeeForwardMode: the input tangent alone.</summary>
    [Benchmark]
    public double TangentOnly()
    {
        using var scope = NewDisposeScope();
        return _translation.Tangent(_x).sum().ToDouble();
    }

    /// <summary>Components of LeeForwardMode: the jvp alone (tangent precomputed).</summary>
    [Benchmark]
    public double JvpOnly()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return Jvp.Compute(_model.call, _x, _v, JvpMethod.ForwardMode).Tangent.sum().ToDouble();
    }

    /// <summary>The same Lie derivative by the double-backward trick (grad with create_graph, then grad again).</summary>
    [Benchmark]
    public double LieDoubleBackward()
    {
        using var scope = NewDisposeScope();
        var lie = LieDerivative.ByDoubleBackward(_model.call, _x, _translation);
        return lie.square().mean().ToDouble();
    }

    /// <summary>Symmetric finite differences (two resamplings and two forwards), for scale.</summary>
    [Benchmark]
    public double LieFiniteDifference()
    {
        using var scope = NewDisposeScope();
        var lie = LieDerivative.ByFiniteDifference(_model.call, _x, _translation, 1e-3);
        return lie.square().mean().ToDouble();
    }
}
