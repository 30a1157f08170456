using System.Text.Json;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.Jit.JitFixtures;

namespace EquivarianceRegularizer.Torch.Tests.Jit;

public class ScriptModuleLoadTests
{
    [TestCase(SmallCnnScripted, "small_cnn_reference.json")]
    [TestCase(SmallCnnTraced, "small_cnn_reference.json")]
    [TestCase(NestedScripted, "nested_reference.json")]
    [TestCase(NestedTraced, "nested_reference.json")]
    public void Forward_OfLoadedModule_EqualsPyTorchOutput(string file, string reference)
    {
        var r = Reference(reference);
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(file));
        model.eval();
        var y = model.call(ToTensor(r.GetProperty("input")));
        Assert.That(MaxAbsDiff(y, r.GetProperty("output_eval")), Is.LessThanOrEqualTo(1e-6));
    }

    [TestCase(SmallCnnScripted, "small_cnn_reference.json")]
    [TestCase(NestedScripted, "nested_reference.json")]
    [TestCase(NestedTraced, "nested_reference.json")]
    public void NamedParametersAndBuffers_MatchPyTorchNamesAndShapes(string file, string reference)
    {
        var r = Reference(reference);
        using var model = jit.load(PathOf(file));
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
        var expected = r.GetProperty("parameters").EnumerateArray().Select(p => (p.GetProperty("name").GetString()!, Shape(p))).ToList();
        Assert.That(parameters.Select(p => p.name), Is.EqualTo(expected.Select(p => p.Item1)));
        for (int i = 0; i < expected.Count; i++) Assert.That(parameters[i].shape, Is.EqualTo(expected[i].Item2), expected[i].Item1);

        var buffers = model.named_buffers().Select(b => b.name).ToList();
        var expectedBuffers = r.GetProperty("buffers").EnumerateArray().Select(b => b.GetProperty("name").GetString()!).ToList();
        Assert.That(buffers, Is.EqualTo(expectedBuffers));
    }

    [TestCase(SmallCnnScripted, "small_cnn_reference.json")]
    [TestCase(SmallCnnTraced, "small_cnn_reference.json")]
    [TestCase(NestedScripted, "nested_reference.json")]
    public void NamedModules_HaveDottedNamesAndPyTorchTypeNames(string file, string reference)
    {
        var r = Reference(reference);
        using var model = jit.load(PathOf(file));
        var modules = model.named_modules().Where(m => m.name.Length > 0).Select(m => (m.name, m.module.TypeName)).ToList();
        var expected = r.GetProperty("modules").EnumerateArray()
            .Select(m => (m.GetProperty("name").GetString()!, m.GetProperty("type").GetString()!)).ToList();
        Assert.That(modules, Is.EqualTo(expected));
        var children = model.named_children().Select(c => c.name).ToList();
        Assert.That(children, Is.EqualTo(r.GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()!)));
        Assert.That(model.named_modules().All(m => m.module is ScriptModule), Is.True);
    }

    [Test]
    public void ChildForward_OfConv_EqualsPyTorchHookOutput()
    {
        var r = SmallCnnReference;
        var conv1 = r.GetProperty("hooks_eval").EnumerateArray().First(h => h.GetProperty("name").GetString() == "conv1");
        using var scope = NewDisposeScope();
        using var model = jit.load(PathOf(SmallCnnScripted));
        var child = (ScriptModule)model.named_children().First(c => c.name == "conv1").module;
        Assert.That(child.TypeName, Is.EqualTo("Conv2d"));
        var y = child.call(ToTensor(conv1.GetProperty("inputs")[0]));
        Assert.That(MaxAbsDiff(y, conv1.GetProperty("output")), Is.LessThanOrEqualTo(1e-6));
    }
}
