using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

public class ScriptModuleStateTests
{
    /// <summary>A managed module holding a ScriptModule, to check that generic train/eval/to reach the native module.</summary>
    private sealed class Wrapper : nn.Module<Tensor, Tensor>
    {
        private readonly ScriptModule _inner;

        public Wrapper(ScriptModule inner) : base("Wrapper")
        {
            _inner = inner;
            register_module("inner", inner);
        }

        public override Tensor forward(Tensor input) => _inner.call(input);
    }

    [Test]
    public void Train_UsesBatchStatistics_AndEval_UsesRunningStatistics()
    {
        var r = SmallCnnReference;
        using var scope = NewDisposeScope();
        var x = ToTensor(r.GetProperty("input"));

        using (var model = jit.load(PathOf(SmallCnnScripted)))
        {
            model.train();
            Assert.That(model.named_modules().All(m => m.module.training), Is.True);
            var runningMeanBefore = model.named_buffers().First(b => b.name == "bn1.running_mean").buffer.clone();
            var y = model.call(x);
            Assert.That(MaxAbsDiff(y, r.GetProperty("output_train")), Is.LessThanOrEqualTo(1e-6));
            Assert.That(MaxAbsDiff(y, r.GetProperty("output_eval")), Is.GreaterThan(1e-3));
            var buffers = model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
            Assert.That(buffers["bn1.running_mean"].allclose(runningMeanBefore), Is.False, "train-mode forward updates running statistics");
            Assert.That(buffers["bn1.num_batches_tracked"].item(), Is.EqualTo(1.0));
        }

        using (var model = jit.load(PathOf(SmallCnnScripted)))
        {
            model.train();
            model.eval();
            Assert.That(model.named_modules().Any(m => m.module.training), Is.False);
            Assert.That(MaxAbsDiff(model.call(x), r.GetProperty("output_eval")), Is.LessThanOrEqualTo(1e-6));
            Assert.That(model.named_buffers().First(b => b.name == "bn1.num_batches_tracked").buffer.item(), Is.EqualTo(0.0));
        }
    }

    [Test]
    public void Load_KeepsSavedTrainingFlags()
    {
        // The fixture was scripted from a model in eval mode.
        using var model = jit.load(PathOf(SmallCnnScripted));
        Assert.That(model.named_modules().Select(m => m.module.training), Is.All.False);
    }

    [Test]
    public void Load_KeepsMixedTrainingFlags_OfEachSubmodule()
    {
        // Saved in eval mode except features.2 (a Block) and its children.
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(NestedMixedMode));
        var training = model.named_modules().Where(m => m.module.training).Select(m => m.name);
        Assert.That(training, Is.EqualTo(new[] { "features.2", "features.2.conv", "features.2.bn" }));
        // The native flags agree: a forward updates the BatchNorm statistics of features.2.bn only.
        model.call(randn(2, 1, 6, 6));
        var tracked = model.named_buffers().Where(b => b.name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .Select(b => (b.name, b.buffer.item())).ToList();
        Assert.That(tracked, Is.EqualTo(new[] { ("features.2.bn.num_batches_tracked", 1.0) }));
    }

    [Test]
    public void ToFloat64_ConvertsFloatingTensors_AndMatchesPyTorchFloat64Output()
    {
        var r = SmallCnnReference;
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        var returned = model.to(ScalarType.Float64);
        Assert.That(returned, Is.SameAs(model));
        Assert.That(model.named_parameters().Select(p => p.parameter.dtype), Is.All.EqualTo(ScalarType.Float64));
        var buffers = model.named_buffers().ToDictionary(b => b.name, b => b.buffer.dtype);
        Assert.That(buffers["bn1.running_var"], Is.EqualTo(ScalarType.Float64));
        Assert.That(buffers["bn1.num_batches_tracked"], Is.EqualTo(ScalarType.Int64), "integer buffers keep their dtype");
        Assert.That(model.named_parameters().Select(p => p.parameter.requires_grad), Is.All.True);

        var y = model.call(ToTensor(r.GetProperty("input"), ScalarType.Float64));
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(MaxAbsDiff(y, r.GetProperty("output_eval_float64")), Is.LessThanOrEqualTo(1e-9));
    }

    [Test]
    public void ScriptModuleInsideManagedModule_FollowsParentEvalAndTo()
    {
        var r = SmallCnnReference;
        using var scope = NewDisposeScope();
        using var wrapper = new Wrapper(jit.load(PathOf(SmallCnnScripted)));
        wrapper.train();
        Assert.That(MaxAbsDiff(wrapper.call(ToTensor(r.GetProperty("input"))), r.GetProperty("output_train")), Is.LessThanOrEqualTo(1e-6));
        wrapper.eval();
        wrapper.to(ScalarType.Float64);
        Assert.That(wrapper.named_parameters().Select(p => p.name), Does.Contain("inner.conv1.weight"));
        // Running statistics were updated by the train-mode call above, so compare with a fresh float64 run.
        using var fresh = jit.load(PathOf(SmallCnnScripted));
        fresh.eval();
        var x = ToTensor(r.GetProperty("input"), ScalarType.Float64);
        var y = wrapper.call(x);
        Assert.That(y.dtype, Is.EqualTo(ScalarType.Float64));
        using (no_grad())
        {
            var expectedFloat32 = fresh.call(ToTensor(r.GetProperty("input")));
            Assert.That(y.allclose(expectedFloat32.to(ScalarType.Float64), rtol: 0, atol: 1e-5), Is.False,
                "the wrapper's train-mode call changed the running statistics, so its eval output differs from a fresh module");
        }
        Assert.That(wrapper.named_modules().Where(m => m.name.Length > 0).Select(m => m.module.training), Is.All.False);
    }

    [Test]
    public void Parameters_AreTheNativeModulesTensors_InPlaceUpdatesReachForward()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.eval();
        var x = randn(1, 1, 8, 8);
        var before = model.call(x);
        var fcBias = model.named_parameters().First(p => p.name == "fc.bias").parameter;
        using (no_grad()) fcBias.add_(ones(5));
        var after = model.call(x);
        Assert.That((after - before).allclose(ones(1, 5), rtol: 0, atol: 1e-5), Is.True);
    }

    [Test]
    public void LoadStateDict_FromAnotherScriptModule_CopiesIntoTheNativeModule()
    {
        using var scope = NewDisposeScope();
        using var source = jit.load(PathOf(SmallCnnScripted));
        using var target = jit.load(PathOf(SmallCnnScripted));
        source.eval();
        target.eval();
        using (no_grad())
            foreach (var p in source.parameters()) p.mul_(0.5);
        var x = randn(2, 1, 8, 8);
        Assert.That(target.call(x).allclose(source.call(x)), Is.False);
        target.load_state_dict(source.state_dict());
        Assert.That(target.call(x).allclose(source.call(x), rtol: 0, atol: 1e-6), Is.True);
    }

    [Test]
    public void Backward_ThroughScriptModule_FillsParameterGradients()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        model.train();
        model.call(randn(2, 1, 8, 8)).sum().backward();
        foreach (var (name, p) in model.named_parameters())
        {
            var g = p.grad;
            Assert.That(g, Is.Not.Null, name);
            Assert.That(g!.shape, Is.EqualTo(p.shape), name);
        }
        Assert.That(model.named_parameters().Any(p => p.parameter.grad!.abs().max().item() > 0), Is.True);
        model.zero_grad();
        Assert.That(model.named_parameters().Select(p => p.parameter.grad), Is.All.Null);
    }

    [Test]
    public void Dispose_ReleasesEveryTensorHandle_AndLaterUseThrows()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var input = zeros(2, 1, 6, 6);
        long before = Tensor.LiveHandleCount;
        var model = jit.load(PathOf(NestedScripted));
        using (var scope = NewDisposeScope())
        {
            var (output, taps) = model.forward_with_taps(randn(2, 1, 6, 6));
            Assert.That(taps, Is.Not.Empty);
        }
        var child = (ScriptModule)model.named_children().First().module;
        model.Dispose();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
        Assert.Throws<ObjectDisposedException>(() => model.call(input));
        Assert.Throws<ObjectDisposedException>(() => child.call(input));
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }

    [Test]
    public void ForwardFlat_AndHasMethod_DescribeTheModule()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        Assert.That(model.has_method("forward"), Is.True);
        Assert.That(model.has_method("no_such_method"), Is.False);
        var outputs = model.forward_flat(randn(3, 1, 8, 8));
        Assert.That(outputs, Has.Length.EqualTo(1));
        Assert.That(outputs[0].shape, Is.EqualTo(new long[] { 3, 5 }));
        Assert.That(model.QualifiedTypeName, Does.EndWith(".SmallCnn"));
    }

    [Test]
    public void Forward_WithWrongInputShape_ThrowsTorchException_WithLibtorchMessage()
    {
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        var ex = Assert.Throws<TorchException>(() => model.call(randn(2, 3, 8, 8)));
        Assert.That(ex!.Message, Does.Contain("channels"));
    }
}
