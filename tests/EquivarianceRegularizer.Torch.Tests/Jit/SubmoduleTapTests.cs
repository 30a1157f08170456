using System.Text.Json;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

public class SubmoduleTapTests
{
    [TestCase(SmallCnnScripted, "small_cnn_reference.json")]
    [TestCase(SmallCnnTraced, "small_cnn_reference.json")]
    [TestCase(NestedScripted, "nested_reference.json")]
    [TestCase(NestedTraced, "nested_reference.json")]
    public void ForwardWithTaps_MatchesPyTorchForwardHooks_InNamesOrderAndValues(string file, string reference)
    {
        var r = Reference(reference);
        var hooks = r.GetProperty("hooks_eval").EnumerateArray().ToList();
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(file));
        model.eval();
        var (output, taps) = model.forward_with_taps(ToTensor(r.GetProperty("input")));

        Assert.That(MaxAbsDiff(output, r.GetProperty("output_eval")), Is.LessThanOrEqualTo(1e-6));
        Assert.That(taps.Select(t => t.Name), Is.EqualTo(hooks.Select(h => h.GetProperty("name").GetString())));
        Assert.That(taps.Select(t => t.TypeName), Is.EqualTo(hooks.Select(h => h.GetProperty("type").GetString())));
        for (int i = 0; i < taps.Count; i++)
        {
            var expectedInputs = hooks[i].GetProperty("inputs").EnumerateArray().ToList();
            Assert.That(taps[i].Inputs, Has.Length.EqualTo(expectedInputs.Count), taps[i].Name);
            for (int k = 0; k < expectedInputs.Count; k++)
                Assert.That(MaxAbsDiff(taps[i].Inputs[k], expectedInputs[k]), Is.LessThanOrEqualTo(1e-6), $"{taps[i].Name} input {k}");
            Assert.That(MaxAbsDiff(taps[i].Output, hooks[i].GetProperty("output")), Is.LessThanOrEqualTo(1e-6), $"{taps[i].Name} output");
        }
    }

    [Test]
    public void ForwardWithTaps_ChildCalledTwice_GivesTwoTapsWithDifferentInputs()
    {
        var r = NestedReference;
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedScripted));
        model.eval();
        var (_, taps) = model.forward_with_taps(ToTensor(r.GetProperty("input")));
        var act = taps.Where(t => t.Name == "act").ToList();
        Assert.That(act, Has.Count.EqualTo(2));
        // The second call gets twice the first call's output.
        Assert.That(act[1].Inputs[0].allclose(act[0].Output * 2.0, rtol: 0, atol: 1e-7), Is.True);
    }

    [Test]
    public void ForwardWithTaps_CalledRepeatedly_GivesSameTapsAsFirstCall()
    {
        var r = SmallCnnReference;
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        var x = ToTensor(r.GetProperty("input"));
        var (_, first) = model.forward_with_taps(x);
        var (_, second) = model.forward_with_taps(x);
        Assert.That(second.Select(t => t.Name), Is.EqualTo(first.Select(t => t.Name)));
        for (int i = 0; i < first.Count; i++) Assert.That(second[i].Output.allclose(first[i].Output, rtol: 0, atol: 0), Is.True);
    }

    [Test]
    public void ForwardWithTaps_OfChild_NamesTapsRelativeToChild()
    {
        var r = NestedReference;
        var featuresHook = r.GetProperty("hooks_eval").EnumerateArray().First(h => h.GetProperty("name").GetString() == "features");
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedScripted));
        model.eval();
        var features = (ScriptModule)model.named_children().First(c => c.name == "features").module;
        var (output, taps) = features.forward_with_taps(ToTensor(featuresHook.GetProperty("inputs")[0]));
        Assert.That(taps.Select(t => t.Name), Is.EqualTo(new[] { "0", "1", "2.conv", "2.bn", "2" }));
        Assert.That(MaxAbsDiff(output, featuresHook.GetProperty("output")), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Observers_OnDescendants_AreFedDuringParentForward()
    {
        var r = NestedReference;
        var hooks = r.GetProperty("hooks_eval").EnumerateArray().ToList();
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedScripted));
        model.eval();
        var seen = new List<(string name, Tensor output)>();
        var modules = new Dictionary<nn.Module, string>(ReferenceEqualityComparer.Instance);
        foreach (var (name, m) in model.named_modules()) modules[m] = name;
        var handles = model.named_modules().Where(m => m.name is "act" or "features.2.bn")
            .Select(m => m.module.register_forward_observer((mod, _, o) => seen.Add((modules[mod], (Tensor)o!)))).ToList();
        var y = model.call(ToTensor(r.GetProperty("input")));

        Assert.That(seen.Select(s => s.name), Is.EqualTo(new[] { "features.2.bn", "act", "act" }));
        var expected = hooks.Where(h => h.GetProperty("name").GetString() is "act" or "features.2.bn").ToList();
        for (int i = 0; i < seen.Count; i++) Assert.That(MaxAbsDiff(seen[i].output, expected[i].GetProperty("output")), Is.LessThanOrEqualTo(1e-6));
        Assert.That(MaxAbsDiff(y, r.GetProperty("output_eval")), Is.LessThanOrEqualTo(1e-6));

        foreach (var h in handles) h.Dispose();
        seen.Clear();
        model.call(ToTensor(r.GetProperty("input")));
        Assert.That(seen, Is.Empty);
    }

    [TestCase(SmallCnnTraced, "small_cnn_reference.json")]
    [TestCase(NestedScripted, "nested_reference.json")]
    public void Observers_OnEveryModule_SeeWhatPyTorchHooksSee(string file, string reference)
    {
        // The audit's activation capture: one observer per named module, then one call of the root.
        var r = Reference(reference);
        var hooks = r.GetProperty("hooks_eval").EnumerateArray().ToList();
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(file));
        model.eval();
        var seen = new List<(string name, string type, Tensor? input, Tensor? output)>();
        var handles = new List<IDisposable>();
        foreach (var (name, m) in model.named_modules())
            if (name.Length > 0)
                handles.Add(m.register_forward_observer((mod, i, o) => seen.Add((name, mod.TypeName, i as Tensor, o as Tensor))));
        model.call(ToTensor(r.GetProperty("input")));
        foreach (var h in handles) h.Dispose();

        Assert.That(seen.Select(s => s.name), Is.EqualTo(hooks.Select(h => h.GetProperty("name").GetString())));
        Assert.That(seen.Select(s => s.type), Is.EqualTo(hooks.Select(h => h.GetProperty("type").GetString())));
        for (int i = 0; i < seen.Count; i++)
        {
            Assert.That(MaxAbsDiff(seen[i].input!, hooks[i].GetProperty("inputs")[0]), Is.LessThanOrEqualTo(1e-6), seen[i].name);
            Assert.That(MaxAbsDiff(seen[i].output!, hooks[i].GetProperty("output")), Is.LessThanOrEqualTo(1e-6), seen[i].name);
        }
    }

    [Test]
    public void ParentForward_WithHookOnChild_ThrowsNotSupported()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        var conv1 = (ScriptModule)model.named_children().First(c => c.name == "conv1").module;
        using var hook = conv1.register_forward_hook((_, _, o) => o);
        var ex = Assert.Throws<NotSupportedException>(() => model.call(randn(1, 1, 8, 8)));
        Assert.That(ex!.Message, Does.Contain("conv1"));
        // The child itself runs its hooks when called directly.
        Assert.That(conv1.call(randn(1, 1, 8, 8)).shape, Is.EqualTo(new long[] { 1, 4, 8, 8 }));
    }

    [Test]
    public void Taps_AreCopies_UnchangedByLaterInPlaceOps()
    {
        var r = SmallCnnReference;
        var hook = r.GetProperty("hooks_eval").EnumerateArray().First(h => h.GetProperty("name").GetString() == "relu1");
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        var x = ToTensor(r.GetProperty("input"));
        var (_, taps) = model.forward_with_taps(x);
        var relu1 = taps.First(t => t.Name == "relu1");
        relu1.Inputs[0].mul_(0.0);
        Assert.That(MaxAbsDiff(relu1.Output, hook.GetProperty("output")), Is.LessThanOrEqualTo(1e-6));
        var bn1 = taps.First(t => t.Name == "bn1");
        Assert.That(bn1.Output.abs().max().item(), Is.GreaterThan(0.0), "bn1's output tap is not the relu1 input tap");
    }

    [Test]
    public void ForwardWithTaps_OfChildCalledInsideIf_ThrowsNotSupported_NamingTheChild()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(CallInsideIf));
        var ex = Assert.Throws<NotSupportedException>(() => model.forward_with_taps(ones(2, 4)));
        Assert.That(ex!.Message, Does.Contain("'lin'").And.Contain("control flow"));
        var again = Assert.Throws<NotSupportedException>(() => model.forward_with_taps(ones(2, 4)));
        Assert.That(again!.Message, Is.EqualTo(ex.Message));
        // Plain forward still works.
        Assert.That(model.call(ones(2, 4)).shape, Is.EqualTo(new long[] { 2, 4 }));
    }
}
