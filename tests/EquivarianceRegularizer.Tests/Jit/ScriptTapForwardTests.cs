using System.Text.Json;
using EquivarianceRegularizer.Jit;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Jit.ScriptTapFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Jit;

public class ScriptTapForwardTests
{
    private const double Float32Tolerance = 1e-6;

    [TestCase("sequential")]
    [TestCase("nested_sequential")]
    [TestCase("custom_forward")]
    [TestCase("custom_forward_traced")]
    [TestCase("early_return")]
    [TestCase("called_twice")]
    [TestCase("called_in_loop")]
    [TestCase("attention")]
    [TestCase("odd_parameter_name")]
    public void ForwardWithTaps_MatchesPyTorchForwardHooks_InNamesTypesOrderShapesAndValues(string model)
    {
        var reference = Reference(model);
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive(model));
        tapped.Module.eval();
        AssertMatchesHooks(tapped, reference);
    }

    [Test]
    public void ForwardWithTaps_EarlyReturn_TapsOnlyTheBranchThatRan()
    {
        var reference = Reference("early_return");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("early_return"));
        tapped.Module.eval();
        var (_, first) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")));
        var (_, other) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("other_branch").GetProperty("input")));
        Assert.That(new[] { first.Count, other.Count }, Is.EquivalentTo(new[] { 1, 2 }), "one branch calls a only, the other a then b");
        AssertMatchesHooks(tapped, reference.GetProperty("other_branch"));
    }

    [TestCase("nested_scripted.pt")]
    [TestCase("nested_traced.pt")]
    [TestCase("small_cnn_scripted.pt")]
    [TestCase("small_cnn_traced.pt")]
    public void ForwardWithTaps_OnJitFixtures_MatchesPyTorchForwardHooks(string file)
    {
        // These fixtures hold BatchNorm, a custom Block inside a Sequential and, traced, a child with forward1.
        var reference = JitReference(file.StartsWith("nested", StringComparison.Ordinal) ? "nested_reference.json" : "small_cnn_reference.json");
        var hooks = reference.GetProperty("hooks_eval").EnumerateArray().ToList();
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Path.Combine(JitFolder, file));
        tapped.Module.eval();
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")));

        Assert.That(MaxAbsDiff(output, reference.GetProperty("output_eval")), Is.LessThanOrEqualTo(Float32Tolerance));
        Assert.That(taps.Select(t => t.Name), Is.EqualTo(hooks.Select(h => h.GetProperty("name").GetString())));
        Assert.That(taps.Select(t => t.TypeName), Is.EqualTo(hooks.Select(h => h.GetProperty("type").GetString())));
        for (int i = 0; i < taps.Count; i++)
        {
            Assert.That(MaxAbsDiff(taps[i].Input!, hooks[i].GetProperty("inputs")[0]), Is.LessThanOrEqualTo(Float32Tolerance), $"{taps[i].Name} input");
            Assert.That(MaxAbsDiff(taps[i].Output!, hooks[i].GetProperty("output")), Is.LessThanOrEqualTo(Float32Tolerance), $"{taps[i].Name} output");
        }
    }

    [TestCase("custom_forward")]
    [TestCase("attention")]
    [TestCase("called_in_loop")]
    public void ForwardWithTaps_Output_EqualsPlainForward(string model)
    {
        var reference = Reference(model);
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive(model));
        tapped.Module.eval();
        var x = ToTensor(reference.GetProperty("input"));
        var (output, _) = tapped.ForwardWithTaps(x);
        var plain = tapped.Module.call(x);
        Assert.That(output.equal(plain).all().ToBoolean(), Is.True, "tapped and plain forward share parameters and code");
    }

    [Test]
    public void ModuleToFloat64_AppliesToTappedForward_MatchingPyTorchInFloat64()
    {
        var reference = Reference("custom_forward");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("custom_forward"));
        tapped.Module.eval();
        tapped.Module.to(ScalarType.Float64);
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input"), ScalarType.Float64));

        Assert.That(output.dtype, Is.EqualTo(ScalarType.Float64));
        var plain = tapped.Module.call(ToTensor(reference.GetProperty("input"), ScalarType.Float64));
        Assert.That(output.equal(plain).all().ToBoolean(), Is.True, "tapped and plain forward agree exactly in float64 too");
        Assert.That(taps.Select(t => t.Output!.dtype), Is.All.EqualTo(ScalarType.Float64));
        // libtorch 2.10 and PyTorch 1.13 differ by 1.2e-10 here in float64, in the plain forward alike (measured):
        // far below float32's 1e-7, so the model really ran in float64.
        Assert.That(MaxAbsDiff(output, reference.GetProperty("output_float64")), Is.LessThanOrEqualTo(1e-9));
    }

    [Test]
    public void ModuleTrainAndEval_ApplyToTappedForward()
    {
        // BatchNorm uses batch statistics in training mode: the outputs of the two modes differ clearly.
        var reference = JitReference("nested_reference.json");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Path.Combine(JitFolder, "nested_scripted.pt"));
        var x = ToTensor(reference.GetProperty("input"));
        // Eval first: a training-mode forward updates the running statistics the eval reference was made with.
        tapped.Module.eval();
        var (evalOutput, _) = tapped.ForwardWithTaps(x);
        tapped.Module.train();
        var (trainOutput, _) = tapped.ForwardWithTaps(x);
        Assert.That(MaxAbsDiff(trainOutput, reference.GetProperty("output_train")), Is.LessThanOrEqualTo(Float32Tolerance));
        Assert.That(MaxAbsDiff(evalOutput, reference.GetProperty("output_eval")), Is.LessThanOrEqualTo(Float32Tolerance));
    }

    [Test]
    public void TapOutput_StaysInAutogradGraph_GradientEqualsWeightColumnSums()
    {
        // out = W z + b with z the input of the `out` layer, so d(sum out)/dz has every row equal to W's column sums.
        var reference = Reference("custom_forward");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("custom_forward"));
        tapped.Module.eval();
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")).requires_grad_(true));
        var z = taps.Single(t => t.Name == "out").Input!;
        var lin = taps.Single(t => t.Name == "lin").Output!;
        var grads = torch.autograd.grad(new[] { output.sum() }, new[] { z, lin });
        var weight = tapped.Module.named_parameters().Single(p => p.name == "out.weight").parameter;
        var expected = weight.sum(dim: 0).expand_as(z);
        Assert.That((grads[0] - expected).abs().max().ToDouble(), Is.LessThanOrEqualTo(1e-6));
        Assert.That(grads[1].abs().sum().ToDouble(), Is.GreaterThan(0), "the gradient reaches an earlier layer's output too");
    }

    [Test]
    public void ForwardWithTaps_Attention_CapturesFirstTensorsAndSaysSo()
    {
        var reference = Reference("attention");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("attention"));
        tapped.Module.eval();
        var (_, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")));
        var attention = taps.Single(t => t.TypeName == "MultiheadAttention");
        Assert.That(attention.Output!.shape, Is.EqualTo(new long[] { 2, 5, 8 }));
        Assert.That(attention.SkipReason, Does.Contain("Tuple[Tensor, Optional[Tensor]]").And.Contain("first element"));
        Assert.That(attention.SkipReason, Does.Contain("query"));
        Assert.That(taps.Where(t => t.TypeName == "Linear").Select(t => t.SkipReason), Is.All.Null);
    }

    [Test]
    public void ForwardWithTaps_CopyingTaps_KeepValuesAsEachCallSawThem()
    {
        // PyTorch's hooks run after forward, so ReLU(inplace=True)'s own hook sees its input already overwritten;
        // a copy made on entry keeps what the ReLU was given: conv 0's output, negatives included.
        var reference = Reference("inplace_relu");
        var hooks = reference.GetProperty("hooks");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("inplace_relu"));
        tapped.Module.eval();
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")), copyTaps: true);

        Assert.That(taps.Select(t => t.Name), Is.EqualTo(new[] { "0", "1", "2" }));
        Assert.That(MaxAbsDiff(output, reference.GetProperty("output")), Is.LessThanOrEqualTo(Float32Tolerance));
        for (int i = 0; i < 3; i++) Assert.That(MaxAbsDiff(taps[i].Output!, hooks[i].GetProperty("output")), Is.LessThanOrEqualTo(Float32Tolerance), $"{i} output");
        Assert.That(MaxAbsDiff(taps[0].Input!, hooks[0].GetProperty("input")), Is.LessThanOrEqualTo(Float32Tolerance));
        Assert.That(MaxAbsDiff(taps[2].Input!, hooks[2].GetProperty("input")), Is.LessThanOrEqualTo(Float32Tolerance));
        Assert.That(taps[1].Input!.equal(taps[0].Output!).all().ToBoolean(), Is.True, "the ReLU's input as given");
        Assert.That(taps[1].Input!.min().ToDouble(), Is.LessThan(0));
    }

    [Test]
    public void ForwardWithTaps_SharingTaps_ShowsLaterInPlaceReluInConvOutput()
    {
        // The documented price of taps that stay on the autograd path: they are the forward's own tensors.
        var reference = Reference("inplace_relu");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("inplace_relu"));
        tapped.Module.eval();
        var (_, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")));
        var hookOutput = ToTensor(reference.GetProperty("hooks")[0].GetProperty("output"));
        Assert.That(hookOutput.min().ToDouble(), Is.LessThan(0), "PyTorch's hook saw conv 0's output before ReLU(inplace=True)");
        Assert.That(taps[0].Output!.min().ToDouble(), Is.GreaterThanOrEqualTo(0), "the shared tensor was overwritten by the ReLU");
    }

    [Test]
    public void ForwardWithTaps_CopyingTaps_AreOffTheOutputsAutogradPath()
    {
        var reference = Reference("custom_forward");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("custom_forward"));
        tapped.Module.eval();
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")).requires_grad_(true), copyTaps: true);
        var grads = torch.autograd.grad(new[] { output.sum() }, new[] { taps.Single(t => t.Name == "lin").Output! }, allow_unused: true);
        Assert.That(grads[0] is null || grads[0].IsInvalid, Is.True, "a copy does not feed the output");
    }

    [Test]
    public void ForwardWithTaps_CalledRepeatedly_GivesSameTaps()
    {
        var reference = Reference("called_twice");
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Archive("called_twice"));
        tapped.Module.eval();
        var x = ToTensor(reference.GetProperty("input"));
        var (_, first) = tapped.ForwardWithTaps(x);
        var (_, second) = tapped.ForwardWithTaps(x);
        Assert.That(second.Select(t => t.Name), Is.EqualTo(first.Select(t => t.Name)));
        for (int i = 0; i < first.Count; i++) Assert.That(second[i].Output!.equal(first[i].Output!).all().ToBoolean(), Is.True);
    }

    [Test]
    public void Load_UsesTheGivenLoader_Once()
    {
        var loaded = new List<string>();
        using var tapped = TappedScriptModule.Load(Archive("sequential"), path =>
        {
            loaded.Add(path);
            return torch.jit.load<Tensor, Tensor>(path);
        });
        Assert.That(loaded, Has.Count.EqualTo(1));
        Assert.That(File.Exists(loaded[0]), Is.False, "the temporary rewritten archive is deleted after loading");
    }

    private static void AssertMatchesHooks(TappedScriptModule tapped, JsonElement reference, bool copyTaps = false)
    {
        var hooks = reference.GetProperty("hooks").EnumerateArray().ToList();
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")), copyTaps);
        Assert.That(MaxAbsDiff(output, reference.GetProperty("output")), Is.LessThanOrEqualTo(Float32Tolerance), "output");
        Assert.That(taps.Select(t => t.Name), Is.EqualTo(hooks.Select(h => h.GetProperty("name").GetString())), "names in hook order");
        Assert.That(taps.Select(t => t.TypeName), Is.EqualTo(hooks.Select(h => h.GetProperty("type").GetString())), "types");
        for (int i = 0; i < taps.Count; i++)
        {
            Assert.That(taps[i].Input, Is.Not.Null, $"{taps[i].Name} input");
            Assert.That(MaxAbsDiff(taps[i].Input!, hooks[i].GetProperty("input")), Is.LessThanOrEqualTo(Float32Tolerance), $"{taps[i].Name} input");
            Assert.That(MaxAbsDiff(taps[i].Output!, hooks[i].GetProperty("output")), Is.LessThanOrEqualTo(Float32Tolerance), $"{taps[i].Name} output");
        }
    }
}
