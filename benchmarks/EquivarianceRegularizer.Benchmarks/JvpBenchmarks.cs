using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Differentiation;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// One Jacobian-vector product of a small CNN by each exact method, against a plain no-grad forward pass of the same
/// batch (the baseline, so the report's Ratio column reads "× one forward").
/// Run: dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --filter '*JvpBenchmarks*' --job short
/// </summary>
public class JvpBenchmarks
{
    private nn.Module<Tensor, Tensor> _model = null!;
    private Tensor _x = null!;
    private Tensor _v = null!;

    /// <summary>Images per batch.</summary>
    [Params(64)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        using var generator = new Generator(2);
        _model = BenchCnn.LieCnn(generator); // the Lie benchmarks' CNN
        _x = rand([Batch, 1, 28, 28], generator: generator).DetachFromDisposeScope();
        _v = randn([Batch, 1, 28, 28], generator: generator).DetachFromDisposeScope();
        if (!Jvp.ForwardModeAvailable)
            Console.WriteLine($"Forward mode unavailable ({Jvp.ForwardModeUnavailableReason}); ForwardModeJvp will throw.");
    }

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
        return _model.call(_x).sum().item<float>();
    }

    /// <summary>J·v by libtorch's forward-mode AD (one dual forward pass).</summary>
    [Benchmark]
    public double ForwardModeJvp()
    {
        using var scope = NewDisposeScope();
        return Jvp.Compute(_model.call, _x, _v, JvpMethod.ForwardMode).Tangent.sum().item<float>();
    }

    /// <summary>J·v by double backward (a forward and two reverse passes).</summary>
    [Benchmark]
    public double DoubleBackwardJvp()
    {
        using var scope = NewDisposeScope();
        return Jvp.Compute(_model.call, _x, _v, JvpMethod.DoubleBackward).Tangent.sum().item<float>();
    }

    /// <summary>The differentiable penalty mean(J·v)² and its backward, by forward mode (what training pays).</summary>
    [Benchmark]
    public double ForwardModePenaltyStep()
    {
        using var scope = NewDisposeScope();
        var penalty = Jvp.Compute(_model.call, _x, _v, JvpMethod.ForwardMode, createGraph: true).Tangent.square().mean();
        penalty.backward();
        _model.zero_grad();
        return penalty.item<float>();
    }

    /// <summary>The same penalty step by double backward.</summary>
    [Benchmark]
    public double DoubleBackwardPenaltyStep()
    {
        using var scope = NewDisposeScope();
        var penalty = Jvp.Compute(_model.call, _x, _v, JvpMethod.DoubleBackward, createGraph: true).Tangent.square().mean();
        penalty.backward();
        _model.zero_grad();
        return penalty.item<float>();
    }
}
