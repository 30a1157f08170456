using EquivarianceRegularizer.Torch.Modules;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.NN.NNFixture;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>The module machinery: registry, names, modes, dtype conversion, state, hooks, gradients.</summary>
public class ModuleTests
{
    private DisposeScope? _scope;

    [SetUp]
    public void OpenScope() => _scope = NewDisposeScope();

    [TearDown]
    public void CloseScope() => _scope?.Dispose();

    private static Sequential SmallCnn(ulong seed = 1)
    {
        using var g = new Generator(seed);
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1, generator: g), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64, 3, generator: g));
    }

    // ---- gradients -----------------------------------------------------------------------------------
    public static IEnumerable<TestCaseData> ModulesWithParameters()
    {
        yield return Case("Linear", () => nn.Linear(5, 3), m => ((Linear)m).call(randn(4, 5)));
        yield return Case("Conv1d", () => nn.Conv1d(2, 3, 3, padding: 1, padding_mode: "circular"), m => ((Conv1d)m).call(randn(2, 2, 6)));
        yield return Case("Conv2d", () => nn.Conv2d(4, 4, 3, padding: 1, padding_mode: "reflect", groups: 2), m => ((Conv2d)m).call(randn(2, 4, 5, 5)));
        yield return Case("BatchNorm1d", () => nn.BatchNorm1d(3), m => ((BatchNorm1d)m).call(randn(6, 3)).pow(3));
        yield return Case("BatchNorm2d", () => nn.BatchNorm2d(3), m => ((BatchNorm2d)m).call(randn(2, 3, 4, 4)).pow(3));
        yield return Case("LayerNorm", () => nn.LayerNorm(6), m => ((LayerNorm)m).call(randn(3, 6)).pow(3));
        yield return Case("GroupNorm", () => nn.GroupNorm(2, 4), m => ((GroupNorm)m).call(randn(2, 4, 3, 3)).pow(3));
        yield return Case("Embedding", () => nn.Embedding(5, 3), m => ((Embedding)m).call(arange(5)));
        yield return Case("MultiheadAttention", () => nn.MultiheadAttention(4, 2, batch_first: true),
            m => { var x = randn(2, 3, 4); return ((MultiheadAttention)m).call(x, x, x).output.pow(2); });
        yield return Case("Sequential CNN", () => SmallCnn(), m => ((Sequential)m).call(randn(2, 1, 8, 8)).pow(2));

        static TestCaseData Case(string name, Func<nn.Module> make, Func<nn.Module, Tensor> run) =>
            new TestCaseData(make, run).SetName($"Backward_Through{name.Replace(" ", "", StringComparison.Ordinal)}_ReachesEveryParameter");
    }

    [TestCaseSource(nameof(ModulesWithParameters))]
    public void Backward_ReachesEveryParameter(Func<nn.Module> make, Func<nn.Module, Tensor> run)
    {
        using var m = make();
        var names = m.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Is.Not.Empty);
        run(m).sum().backward();
        foreach (var (name, p) in m.named_parameters())
        {
            var g = p.grad;
            Assert.That(g, Is.Not.Null, $"{name} got no gradient");
            Assert.That(g!.abs().sum().item(), Is.GreaterThan(0), $"{name} got an all-zero gradient");
        }
    }

    // ---- train / eval --------------------------------------------------------------------------------
    [Test]
    public void BatchNorm_InTraining_NormalizesWithBatchStatsAndUpdatesRunningStats()
    {
        using var bn = nn.BatchNorm2d(3);
        var x = randn(8, 3, 4, 4) * 3 + 2;
        var y = bn.call(x);
        var channelMeans = y.mean(new long[] { 0, 2, 3 }).data<float>();
        Assert.That(channelMeans, Has.All.InRange(-1e-5f, 1e-5f));
        var batchMean = x.mean(new long[] { 0, 2, 3 });
        AssertClose(bn.running_mean!, batchMean * 0.1, atol: 1e-6, what: "running_mean after one batch");
        Assert.That(bn.num_batches_tracked!.item(), Is.EqualTo(1));
    }

    [Test]
    public void BatchNorm_InEval_UsesRunningStatsAndLeavesThemAlone()
    {
        using var bn = nn.BatchNorm2d(3);
        bn.eval();
        var x = randn(8, 3, 4, 4) * 3 + 2;
        var y = bn.call(x);
        AssertClose(y, x / Math.Sqrt(1 + 1e-5), what: "eval output with initial running stats (mean 0, var 1)");
        Assert.That(bn.running_mean!.abs().sum().item(), Is.EqualTo(0));
        Assert.That(bn.num_batches_tracked!.item(), Is.EqualTo(0));
    }

    [Test]
    public void BatchNorm_WithNullMomentum_KeepsCumulativeAverage()
    {
        using var bn = nn.BatchNorm1d(2, momentum: null);
        var a = randn(16, 2) + 3;
        var b = randn(16, 2) - 1;
        bn.call(a);
        bn.call(b);
        var expected = (a.mean(0) + b.mean(0)) / 2;
        AssertClose(bn.running_mean!, expected, atol: 1e-6);
    }

    [Test]
    public void Dropout_InTraining_ZeroesAboutPAndScalesSurvivors_InEval_IsIdentity()
    {
        using var drop = nn.Dropout(0.3);
        var x = ones(100, 100);
        var y = drop.call(x);
        var values = y.data<float>();
        double zeroFraction = values.Count(v => v == 0) / (double)values.Length;
        Assert.That(zeroFraction, Is.InRange(0.27, 0.33));
        Assert.That(values.Where(v => v != 0), Has.All.EqualTo(1 / 0.7f).Within(1e-6));
        drop.eval();
        Assert.That(drop.call(x).data<float>(), Is.EqualTo(values.Select(_ => 1f).ToArray()));
    }

    [Test]
    public void TrainAndEval_PropagateToEveryDescendant()
    {
        using var m = nn.Sequential(("features", SmallCnn()), ("drop", nn.Dropout()));
        m.eval();
        Assert.That(m.modules().Select(x => x.training), Has.All.False);
        m.train();
        Assert.That(m.modules().Select(x => x.training), Has.All.True);
    }

    // ---- dtype -----------------------------------------------------------------------------------------
    [Test]
    public void ToFloat64_ConvertsParametersAndBuffers_KeepsValuesAndCounters()
    {
        using var m = SmallCnn();
        m.call(randn(2, 1, 8, 8));
        var before = m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArrayDouble());
        m.to(float64);
        foreach (var (name, p) in m.named_parameters())
        {
            Assert.That(p.dtype, Is.EqualTo(ScalarType.Float64), name);
            Assert.That(p.requires_grad, Is.True, name);
            Assert.That(p.is_leaf, Is.True, name);
        }
        foreach (var (name, b) in m.named_buffers())
            Assert.That(b.dtype, Is.EqualTo(name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? ScalarType.Int64 : ScalarType.Float64), name);
        foreach (var (name, t) in m.state_dict())
            Assert.That(t.ToArrayDouble(), Is.EqualTo(before[name]), name);
        var y = m.call(randn(new long[] { 2, 1, 8, 8 }, dtype: float64));
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float64));
        var layer = (Linear)m[5];
        Assert.That(layer.weight.dtype, Is.EqualTo(ScalarType.Float64), "typed accessors read the registry");
    }

    // ---- state dict ----------------------------------------------------------------------------------
    [Test]
    public void SaveThenLoad_IntoDifferentlyInitializedModel_GivesIdenticalStateAndOutputs()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nn-roundtrip-{Guid.NewGuid():N}.ertsd");
        try
        {
            using var a = SmallCnn(seed: 1);
            a.call(randn(4, 1, 8, 8));
            a.eval();
            a.save(path);
            using var b = SmallCnn(seed: 2);
            b.eval();
            var x = randn(2, 1, 8, 8);
            Assert.That(b.call(x).allclose(a.call(x)), Is.False, "different seeds must differ before loading");
            b.load(path);
            foreach (var (name, t) in a.state_dict())
                Assert.That(b.state_dict()[name].ToArrayDouble(), Is.EqualTo(t.ToArrayDouble()), name);
            AssertClose(b.call(x), a.call(x), atol: 0, rtol: 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_WithWrongShape_ThrowsNamingTheKeyAndBothShapes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nn-shape-{Guid.NewGuid():N}.ertsd");
        try
        {
            using var a = nn.Linear(5, 3);
            a.save(path);
            using var b = nn.Linear(5, 4);
            var before = b.weight.ToArrayDouble();
            var ex = Assert.Throws<ArgumentException>(() => b.load(path));
            Assert.That(ex!.Message, Does.Contain("'weight'").And.Contain("[3, 5]").And.Contain("[4, 5]"));
            Assert.That(b.weight.ToArrayDouble(), Is.EqualTo(before), "nothing is copied when a check fails");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Load_WithWrongDtype_ThrowsNamingTheKeyAndDtypes()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nn-dtype-{Guid.NewGuid():N}.ertsd");
        try
        {
            using var a = nn.Linear(5, 3, dtype: float64);
            a.save(path);
            using var b = nn.Linear(5, 3);
            var ex = Assert.Throws<ArgumentException>(() => b.load(path));
            Assert.That(ex!.Message, Does.Contain("'weight'").And.Contain("Float64").And.Contain("Float32"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void LoadStateDict_WithMissingAndUnexpectedKeys_ThrowsNamingThemWhenStrict_ReportsThemOtherwise()
    {
        using var m = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1));
        var source = new Dictionary<string, Tensor>
        {
            ["0.weight"] = zeros(2, 2), ["0.bias"] = zeros(2), ["2.weight"] = zeros(1, 2), ["2.extra"] = zeros(1),
        };
        var ex = Assert.Throws<ArgumentException>(() => m.load_state_dict(source));
        Assert.That(ex!.Message, Does.Contain("'2.bias'").And.Contain("'2.extra'"));
        var (missing, unexpected) = m.load_state_dict(source, strict: false);
        Assert.That(missing, Is.EqualTo(new[] { "2.bias" }));
        Assert.That(unexpected, Is.EqualTo(new[] { "2.extra" }));
        Assert.That(((Linear)m[0]).weight.abs().sum().item(), Is.EqualTo(0), "present keys are loaded when not strict");
    }

    [Test]
    public void StateDictFile_Truncated_ThrowsInvalidDataNamingTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nn-trunc-{Guid.NewGuid():N}.ertsd");
        try
        {
            using var a = nn.Linear(5, 3);
            a.save(path);
            var bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
            long handles = Tensor.LiveHandleCount;
            var ex = Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path));
            Assert.That(ex!.Message, Does.Contain(path));
            Assert.That(Tensor.LiveHandleCount, Is.EqualTo(handles), "entries read before the error are released");
            File.WriteAllBytes(path, "NOTSTATE"u8.ToArray());
            Assert.Throws<InvalidDataException>(() => StateDictFile.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---- hooks ----------------------------------------------------------------------------------------
    [Test]
    public void ForwardHooks_ReplaceInputAndOutput_AndStopAfterRemoval()
    {
        using var m = nn.Linear(3, 2);
        var x = randn(4, 3);
        var plain = m.call(x);
        var pre = m.register_forward_pre_hook((_, input) => input * 2);
        AssertClose(m.call(x), m.forward(x * 2), what: "pre-hook doubles the input");
        var post = m.register_forward_hook((_, _, output) => output + 1);
        AssertClose(m.call(x), m.forward(x * 2) + 1, what: "post-hook adds one");
        pre.Dispose();
        AssertClose(m.call(x), plain + 1, what: "pre-hook removed");
        post.Dispose();
        AssertClose(m.call(x), plain, what: "both removed");
    }

    [Test]
    public void Hooks_OnStagesOfSequential_SeeEachStageInOrder()
    {
        using var m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2));
        var seen = new List<string>();
        var handles = m.stages.Select(s => s.module.register_forward_hook((mod, _, output) =>
        {
            seen.Add($"{s.name}:{mod.TypeName}:{string.Join("x", output.shape)}");
            return output;
        })).ToList();
        using var observer = m.register_forward_observer((mod, _, _) => seen.Add("whole:" + mod.TypeName));
        m.call(randn(5, 3));
        Assert.That(seen, Is.EqualTo(new[] { "0:Linear:5x4", "1:ReLU:5x4", "2:Linear:5x2", "whole:Sequential" }));
        foreach (var h in handles) h.Dispose();
    }

    // ---- names and structure -------------------------------------------------------------------------
    [Test]
    public void NamedModules_OfNestedSequential_HaveDottedNames()
    {
        using var m = nn.Sequential(
            ("features", nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())),
            ("head", nn.Sequential(nn.Flatten(), nn.Linear(8, 2))));
        Assert.That(m.named_modules().Select(x => x.name),
            Is.EqualTo(new[] { "", "features", "features.0", "features.1", "head", "head.0", "head.1" }));
        Assert.That(m.named_parameters().Select(x => x.name),
            Is.EqualTo(new[] { "features.0.weight", "features.0.bias", "head.1.weight", "head.1.bias" }));
        using var unnamed = nn.Sequential(nn.Sequential(nn.Linear(2, 2)));
        Assert.That(unnamed.named_parameters().Select(x => x.name), Is.EqualTo(new[] { "0.0.weight", "0.0.bias" }));
    }

    [Test]
    public void SequentialStages_RunOneByOne_EqualTheWholeForward()
    {
        using var m = SmallCnn();
        m.eval();
        Assert.That(m.stages.Select(s => s.name), Is.EqualTo(new[] { "0", "1", "2", "3", "4", "5" }));
        Assert.That(m.Count, Is.EqualTo(6));
        Assert.That(m[-1], Is.SameAs(m.stages[5].module));
        var x = randn(2, 1, 8, 8);
        var h = x;
        foreach (var (_, stage) in m.stages) h = stage.call(h);
        AssertClose(h, m.call(x), atol: 0, rtol: 0);
    }

    [Test]
    public void Sequential_DuplicateStageName_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => nn.Sequential(("a", nn.ReLU()), ("a", nn.Tanh())));
        Assert.That(ex!.ParamName, Is.EqualTo("name"));
    }

    [Test]
    public void Dispose_OfModule_ReleasesEveryParameterAndBuffer()
    {
        long before = Tensor.LiveHandleCount;
        var m = SmallCnn();
        Assert.That(Tensor.LiveHandleCount, Is.GreaterThan(before));
        m.Dispose();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }
}
