using BenchmarkDotNet.Attributes;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// A full audit (64 samples of 1×28×28, all 3 non-identity rot90 elements, every layer isolated, gradient test)
/// of a C4-invariant CNN, against the least an end-to-end test must compute: forwards of the 64 inputs and their
/// 3 rotations (no_grad). Ratio = audit / bare forwards. <see cref="Model"/> picks our nn model or the TorchScript
/// fixture tests/fixtures/audit/bench_cnn28.pt (same architecture, from generate_audit_zoo.py), loaded with layer taps
/// as the eqv CLI loads it (<see cref="TappedScriptModule"/>), so the layer pass sees its submodules.
/// Run: dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --filter '*AuditBenchmarks*'
/// </summary>
[Config(typeof(AuditBenchmarkConfig))]
public class AuditBenchmarks : IDisposable
{
    private TensorModel _model = null!;
    private nn.Module<Tensor, Tensor>? _nnModel;
    private TappedScriptModule? _tapped;
    private ObservedModel _auditModel = null!;
    private Tensor _x = null!;
    private readonly RotationByQuarterTurns _rot = new();

    [Params("nn", "torchscript")]
    public string Model { get; set; } = "nn";

    /// <summary>A 28×28 CNN whose kernels are averaged over D4, so it is exactly rot90-invariant.</summary>
    internal static nn.Module<Tensor, Tensor> InvariantCnn28()
    {
        using var g = new Generator(5);
        var c1 = nn.Conv2d(1, 16, 3, padding: 1).Seeded(g);
        var c2 = nn.Conv2d(16, 16, 3, padding: 1).Seeded(g);
        var c3 = nn.Conv2d(16, 32, 3, padding: 1).Seeded(g);
        foreach (var c in new[] { c1, c2, c3 })
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var acc = zeros_like(c.weight);
            for (int f = 0; f < 2; f++)
            {
                var wf = f == 0 ? c.weight : c.weight.flip(3);
                for (int r = 0; r < 4; r++) acc = acc + wf.rot90(r, (2, 3));
            }
            c.weight.copy_(acc / 8);
        }
        return nn.Sequential(c1, nn.ReLU(), c2, nn.ReLU(), c3, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10).Seeded(g));
    }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        if (Model == "nn")
        {
            _nnModel = InvariantCnn28();
            _model = _nnModel;
            _auditModel = new HookedModel(_model, "InvariantCnn28");
        }
        else
        {
            _tapped = TappedScriptModule.Load(FindFixture("tests/fixtures/audit/bench_cnn28.pt"));
            _model = _tapped.Module;
            _auditModel = new TappedModel(_tapped, "bench_cnn28.pt");
        }
        _model.Module.eval();
        using var g = new Generator(0);
        _x = rand(new long[] { 64, 1, 28, 28 }, generator: g).DetachFromDisposeScope();
    }

    [Benchmark(Baseline = true, Description = "bare forwards: x and its 3 rotations (64 each)")]
    public double BareForwards()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double s = _model.call(_x).sum().ToDouble();
        for (int k = 1; k < 4; k++) s += _model.call(_x.rot90(k, (2, 3))).sum().ToDouble();
        return s;
    }

    [Benchmark(Description = "audit: 64 samples, 3 elements, all layers, gradient")]
    public double FullAudit()
    {
        var r = Auditor.Audit(_auditModel, Symmetry.Invariant(_rot), new AuditOptions
        {
            InputShape = new long[] { 1, 28, 28 }, Samples = 64, Layers = true, Gradient = true, MaxLayerSamples = 64,
        });
        if (r.Verdict != Verdict.Pass) throw new InvalidOperationException("The benchmark model must pass: " + r.Summary);
        return r.EndToEnd!.Relative.Max;
    }

    [Benchmark(Description = "audit: end-to-end only")]
    public double EndToEndAudit()
    {
        var r = Auditor.Audit(_auditModel, Symmetry.Invariant(_rot), new AuditOptions
        {
            InputShape = new long[] { 1, 28, 28 }, Samples = 64, Layers = false, Gradient = false,
        });
        return r.EndToEnd!.Relative.Max;
    }

    private static string FindFixture(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}.");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _tapped?.Dispose();
        _nnModel?.Dispose();
        _x?.Dispose();
        GC.SuppressFinalize(this);
    }
}
