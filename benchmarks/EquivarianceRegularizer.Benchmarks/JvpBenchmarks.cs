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
public class JvpBenchmarks : ForwardBaselineBenchmark
{

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        using var generator = new Generator(2);
        Model = BenchCnn.LieCnn(generator); // the Lie benchmarks' CNN
        X = rand([Batch, 1, 28, 28], generator: generator).DetachFromDisposeScope();
        V = randn([Batch, 1, 28, 28], generator: generator).DetachFromDisposeScope();
        if (!Jvp.ForwardModeAvailable)
            Console.WriteLine($"Forward mode unavailable ({Jvp.ForwardModeUnavailableReason}); ForwardModeJvp will throw.");
    }

    /// <summary>J·v by libtorch's forward-mode AD (one dual forward pass).</summary>
    [Benchmark]
    public double ForwardModeJvp()
    {
        using var scope = NewDisposeScope();
        return Jvp.Compute(Model.call, X, V, JvpMethod.ForwardMode).Tangent.sum().item<float>();
    }

    /// <summary>J·v by double backward (a forward and two reverse passes).</summary>
    [Benchmark]
    public double DoubleBackwardJvp()
    {
        using var scope = NewDisposeScope();
        return Jvp.Compute(Model.call, X, V, JvpMethod.DoubleBackward).Tangent.sum().item<float>();
    }

    /// <summary>The differentiable penalty mean(J·v)² and its backward, by forward mode (what training pays).</summary>
    [Benchmark]
    public double ForwardModePenaltyStep()
    {
        using var scope = NewDisposeScope();
        var penalty = Jvp.Compute(Model.call, X, V, JvpMethod.ForwardMode, createGraph: true).Tangent.square().mean();
        penalty.backward();
        Model.zero_grad();
        return penalty.item<float>();
    }

    /// <summary>The same penalty step by double backward.</summary>
    [Benchmark]
    public double DoubleBackwardPenaltyStep()
    {
        using var scope = NewDisposeScope();
        var penalty = Jvp.Compute(Model.call, X, V, JvpMethod.DoubleBackward, createGraph: true).Tangent.square().mean();
        penalty.backward();
        Model.zero_grad();
        return penalty.item<float>();
    }
}
