using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Tests.Zoo;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Jit.ScriptTapFixtures;
using static EquivarianceRegularizer.Tests.Real.RealFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Real;

/// <summary>The real-architecture fixtures load in libtorch 2.10 and run as PyTorch 1.13 ran them.</summary>
public class RealFixtureTests
{
    private static IEnumerable<string> Models() => All();

    [TestCaseSource(nameof(Models))]
    public void Archive_Output_EqualsPyTorchs(string model)
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(RealArchive(model));
        tapped.Module.eval();
        var y = tapped.Module.call(Input(model));
        var expected = ToTensor(RealReference(model).GetProperty("output"));
        double scale = Math.Max(1e-6, expected.abs().max().ToDouble());
        Assert.That(MaxAbsDiff(y, RealReference(model).GetProperty("output")) / scale, Is.LessThanOrEqualTo(1e-4));
    }

    [TestCaseSource(nameof(Models))]
    public void TapCopies_MatchPyTorchForwardHooks_ForEveryTensorReturningCall(string model)
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(RealArchive(model));
        tapped.Module.eval();
        var (_, taps) = tapped.ForwardWithTaps(Input(model), copyTaps: true);
        var seen = new Dictionary<string, int>();
        var names = taps.Select(t => { seen[t.Name] = seen.GetValueOrDefault(t.Name) + 1; return seen[t.Name] == 1 ? t.Name : $"{t.Name}#{seen[t.Name]}"; }).ToList();
        var hooks = Taps(model);
        // Traced archives inline what PyTorch's tracer saw; each call they keep must be a hook record of that name.
        var byName = hooks.ToDictionary(h => h.GetProperty("name").GetString()!, h => h);
        if (model.EndsWith("_scripted", StringComparison.Ordinal))
            Assert.That(names, Is.EqualTo(hooks.Select(h => h.GetProperty("name").GetString())), "scripted archives keep every call, in hook order");
        int compared = 0;
        for (int i = 0; i < taps.Count; i++)
        {
            Assert.That(byName.ContainsKey(names[i]), Is.True, $"{names[i]} is no call PyTorch's hooks saw");
            var output = byName[names[i]].GetProperty("output");
            if (output.GetProperty("kind").GetString() == "dict" || taps[i].Output is null) continue;
            Assert.That(taps[i].Output!.shape, Is.EqualTo(Shape(output)), $"{names[i]} shape");
            var (sum, norm) = Summary(taps[i].Output!);
            double expectedNorm = output.GetProperty("norm").GetDouble();
            Assert.That(norm, Is.EqualTo(expectedNorm).Within(1e-4 * Math.Max(expectedNorm, 1e-3)), $"{names[i]} norm");
            Assert.That(sum, Is.EqualTo(output.GetProperty("sum").GetDouble()).Within(1e-4 * Math.Max(expectedNorm, 1e-3) * Math.Sqrt(taps[i].Output!.numel())), $"{names[i]} sum");
            compared++;
        }
        Assert.That(compared, Is.GreaterThan(0));
    }

    [Test]
    public void ZooResNet18_AndVitBlock_RunWithHooksOnEveryCall()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(18);
        foreach (nn.Module<Tensor, Tensor> model in new nn.Module<Tensor, Tensor>[] { RealArchitectures.ResNet18(gen), RealArchitectures.Vit(gen) })
        {
            int calls = 0;
            var removers = model.named_modules().Where(m => m.name.Length > 0 && m.module is nn.Module<Tensor, Tensor>)
                .Select(m => ((nn.Module<Tensor, Tensor>)m.module).register_forward_hook((_, _, o) => { calls++; return o; })).ToList();
            var y = model.call(rand(2, 3, 32, 32, generator: gen)[.., .., ..16, ..16]);
            foreach (var r in removers) r.remove();
            Assert.That(y.shape, Is.EqualTo(new long[] { 2, 10 }));
            Assert.That(calls, Is.GreaterThan(5), model.GetName());
        }
    }
}
