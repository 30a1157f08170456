using EquivarianceRegularizer.Jit;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Jit.JitTestFiles;

namespace EquivarianceRegularizer.Tests.Jit;

/// <summary>
/// TorchScriptLoader: archives and source that libtorch cannot compile become TorchScriptLoadExceptions in the
/// user's terms (through the model probe, since in-process they abort the process); good ones load.
/// </summary>
[NonParallelizable]
public class TorchScriptLoaderTests
{
    [TestCase(ScriptLoadSafety.InProcess)]
    [TestCase(ScriptLoadSafety.ChildProcessProbe)]
    public void Load_OfGoodArchive_GivesAWorkingModule(ScriptLoadSafety safety)
    {
        using var scope = torch.NewDisposeScope();
        using var model = TorchScriptLoader.Load(Fixture("small_cnn_scripted.pt"), safety);
        model.eval();
        var y = model.call(torch.randn(2, 1, 8, 8));
        Assert.That(y.shape, Is.EqualTo(new long[] { 2, 5 }));
    }

    [Test]
    public void Load_OfUnknownOperator_ThroughProbe_NamesTheOperatorAndANewerPyTorch()
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Bad("unknown_operator.pt"), ScriptLoadSafety.ChildProcessProbe))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.UnknownOperator));
        Assert.That(e.Message, Does.Contain("unknown operator aten::relu_from_a_newer_pytorch"));
        Assert.That(e.Message, Does.Contain("newer PyTorch than the libtorch 2.10 this build uses"));
        Assert.That(e.Message, Does.Contain("activation.py, line 9"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
        Assert.That(e.LibtorchMessage, Does.Contain("<--- HERE"), "libtorch's own text, with the code, is kept for logs");
    }

    [TestCase("code_undefined_name.pt", "undefined value undefined_value")]
    [TestCase("code_unknown_method.pt", "'Tensor' object has no attribute or method 'no_such_method'")]
    [TestCase("code_syntax_error.pt", "expected ) but found 'eof' here")]
    public void Load_OfDamagedCode_ThroughProbe_SaysTheCodeDoesNotCompile_AndWhere(string name, string what)
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Bad(name), ScriptLoadSafety.ChildProcessProbe))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.CodeDoesNotCompile));
        Assert.That(e.Message, Does.Contain(what).And.Contain("code/__torch__.py, line 3"));
        Assert.That(e.Message, Does.StartWith($"'{Path.GetFullPath(Bad(name))}'"));
        Assert.That(e.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public void Load_OfFutureFormatVersion_SaysUnsupportedVersion_InProcessToo()
    {
        foreach (var safety in new[] { ScriptLoadSafety.ChildProcessProbe, ScriptLoadSafety.InProcess })
        {
            var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Bad("future_format_version.pt"), safety))!;
            Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.UnsupportedVersion), safety.ToString());
            Assert.That(e.Message, Does.Contain("version 99").And.Contain("up to 10").And.Not.Contain("frame #"), safety.ToString());
        }
    }

    [Test]
    public void Load_OfSyntaxError_InProcess_IsCaughtToo()
    {
        // This one libtorch raises as a c10::Error, which TorchSharp does catch; the others abort (see ModelProbeTests).
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Bad("code_syntax_error.pt"), ScriptLoadSafety.InProcess))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.CodeDoesNotCompile));
    }

    [Test]
    public void Load_OfStateDict_IsStoppedByTheArchiveChecks_BeforeAnyProbe()
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Load(Fixture("plain_state_dict_pickle.pt"), ScriptLoadSafety.ChildProcessProbe))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.NotTorchScript));
    }

    [Test]
    public void Vet_OfManyArchives_ReportsEachInOrder_AcrossProbeCrashes()
    {
        var paths = new[] { "small_cnn_scripted.pt", "bad/unknown_operator.pt", "nested_traced.pt", "bad/code_undefined_name.pt", "bad/code_syntax_error.pt", "call_inside_if_scripted.pt" }
            .Select(n => Path.GetFullPath(Fixture(n))).ToList();
        var results = TorchScriptProbe.ProbeArchives(paths);
        Assert.That(results.Select(r => r?.Reason), Is.EqualTo(new TorchScriptLoadFailure?[]
        {
            null, TorchScriptLoadFailure.UnknownOperator, null, TorchScriptLoadFailure.CodeDoesNotCompile, TorchScriptLoadFailure.CodeDoesNotCompile, null,
        }));
        Assert.That(results[1]!.Path, Is.EqualTo(paths[1]));
    }

    [Test]
    public void Compile_OfGoodSource_ThroughProbe_GivesCallableFunctions()
    {
        using var scope = torch.NewDisposeScope();
        using var unit = TorchScriptLoader.Compile("def twice(x: Tensor) -> Tensor:\n    return x * 2\n", ScriptLoadSafety.ChildProcessProbe);
        var y = (torch.Tensor)unit.invoke("twice", torch.ones(3));
        Assert.That(y.sum().item<float>(), Is.EqualTo(6f));
    }

    [TestCase("def f(x: Tensor) -> Tensor:\n    return torch.frobnicate_from_the_future(x)\n", TorchScriptLoadFailure.UnknownOperator)]
    [TestCase("def f(x: Tensor) -> Tensor:\n    return x + not_defined\n", TorchScriptLoadFailure.CodeDoesNotCompile)]
    public void Compile_OfBadSource_ThroughProbe_Throws_InsteadOfAborting(string source, TorchScriptLoadFailure reason)
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptLoader.Compile(source, ScriptLoadSafety.ChildProcessProbe))!;
        Assert.That(e.Reason, Is.EqualTo(reason), e.Message);
        Assert.That(e.Message, Does.StartWith("TorchScript source:"));
        Assert.That(e.Path, Is.Null);
    }

    [Test]
    public void Load_WithUndefinedSafety_NamesTheArgument()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TorchScriptLoader.Load(Fixture("small_cnn_scripted.pt"), (ScriptLoadSafety)7))!;
        Assert.That(e.ParamName, Is.EqualTo("safety"));
    }
}
