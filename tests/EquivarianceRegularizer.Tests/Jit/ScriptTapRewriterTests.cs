using System.IO.Compression;
using System.Text.Json;
using EquivarianceRegularizer.Jit;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Jit.ScriptTapFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Jit;

public class ScriptTapRewriterTests
{
    private string scratch = "";

    [SetUp]
    public void MakeScratch() => Directory.CreateDirectory(scratch = Path.Combine(Path.GetTempPath(), "taps-tests-" + Guid.NewGuid().ToString("N")));

    [TearDown]
    public void RemoveScratch() => Directory.Delete(scratch, recursive: true);

    [TestCase("sequential", 3)]
    [TestCase("nested_sequential", 8)]
    [TestCase("custom_forward_traced", 3)]
    [TestCase("called_in_loop", 1)]
    [TestCase("attention", 3)]
    public void Rewrite_OfSupportedModels_TapsEveryChildCall(string model, int callSites)
    {
        var result = ScriptTapRewriter.Rewrite(Archive(model), Path.Combine(scratch, "tapped.pt"));
        Assert.That(result.Untapped, Is.Empty);
        Assert.That(result.TappedCallSites, Is.EqualTo(callSites));
        Assert.That(File.Exists(result.RewrittenPath), Is.True);
    }

    [Test]
    public void Rewrite_OfEveryAuditZooModel_TapsAllCalls_OutputEqualsPlainForward_NamesAreModules()
    {
        var zoo = JsonDocument.Parse(File.ReadAllText(Path.Combine(AuditFolder, "zoo.json"))).RootElement;
        Assert.That(zoo.EnumerateObject().Count(), Is.GreaterThan(10));
        foreach (var model in zoo.EnumerateObject())
        {
            var shape = model.Value[0].GetProperty("shape").GetString()!.Split(',').Select(long.Parse).Prepend(2L).ToArray();
            using var scope = NewDisposeScope();
            using var tapped = TappedScriptModule.Load(Path.Combine(AuditFolder, model.Name + ".pt"));
            tapped.Module.eval();
            var x = randn(shape, generator: new Generator(7));
            var (output, taps) = tapped.ForwardWithTaps(x);
            var modules = tapped.Module.named_modules().Select(m => m.name).ToHashSet();
            Assert.That(tapped.Rewrite.Untapped, Is.Empty, model.Name);
            Assert.That(output.allclose(tapped.Module.call(x), rtol: 0, atol: 0, equal_nan: true), Is.True, model.Name);
            Assert.That(taps, Is.Not.Empty, model.Name);
            Assert.That(taps.Select(t => t.Name), Is.SubsetOf(modules), model.Name);
        }
    }

    [Test]
    public void Rewrite_TakesMilliseconds()
    {
        foreach (var model in new[] { "sequential", "attention" }) ScriptTapRewriter.Rewrite(Archive(model), Path.Combine(scratch, "warm.pt"));
        var times = new List<double>();
        foreach (var model in new[] { "sequential", "nested_sequential", "custom_forward", "attention" })
        {
            var result = ScriptTapRewriter.Rewrite(Archive(model), Path.Combine(scratch, model + ".pt"));
            times.Add(result.Elapsed.TotalMilliseconds);
            TestContext.Out.WriteLine($"rewrite {model}: {result.Elapsed.TotalMilliseconds:F2} ms, {new FileInfo(Archive(model)).Length} bytes");
        }
        Assert.That(times.Max(), Is.LessThan(500));
    }

    [Test]
    public void Rewrite_LeavesOriginalMethodsAndWeights_PlainForwardUnchanged()
    {
        var reference = Reference("nested_sequential");
        var result = ScriptTapRewriter.Rewrite(Archive("nested_sequential"), Path.Combine(scratch, "tapped.pt"));
        using var scope = NewDisposeScope();
        using var original = torch.jit.load<Tensor, Tensor>(Archive("nested_sequential"));
        using var rewritten = torch.jit.load<Tensor, Tensor>(result.RewrittenPath);
        original.eval();
        rewritten.eval();
        var x = ToTensor(reference.GetProperty("input"));
        Assert.That(rewritten.call(x).equal(original.call(x)).all().ToBoolean(), Is.True);
        Assert.That(rewritten.named_parameters().Select(p => p.name), Is.EqualTo(original.named_parameters().Select(p => p.name)));
    }

    [Test]
    public void Rewrite_DropsDebugRecordsOfRewrittenFilesOnly()
    {
        var result = ScriptTapRewriter.Rewrite(Archive("custom_forward"), Path.Combine(scratch, "tapped.pt"));
        using var before = ZipFile.OpenRead(Archive("custom_forward"));
        using var after = ZipFile.OpenRead(result.RewrittenPath);
        var names = after.Entries.Select(e => e.FullName).ToHashSet();
        Assert.That(names, Does.Not.Contain("custom_forward/code/__torch__.py.debug_pkl"));
        Assert.That(before.Entries.Select(e => e.FullName).Where(n => !n.EndsWith(".debug_pkl", StringComparison.Ordinal)), Is.SubsetOf(names));
        using var reader = new StreamReader(after.GetEntry("custom_forward/code/__torch__.py")!.Open());
        Assert.That(reader.ReadToEnd(), Does.Contain("def _tap_forward(").And.Contain("def _tap_forward_with_taps("));
    }

    [Test]
    public void Rewrite_WhenModelUsesThePrefix_PicksAnotherOne()
    {
        // odd_parameter_name's forward takes a tensor called _tap_t, the rewrite's own default name.
        var result = ScriptTapRewriter.Rewrite(Archive("odd_parameter_name"), Path.Combine(scratch, "tapped.pt"));
        using var zip = ZipFile.OpenRead(result.RewrittenPath);
        using var reader = new StreamReader(zip.GetEntry("odd_parameter_name/code/__torch__.py")!.Open());
        Assert.That(reader.ReadToEnd(), Does.Contain("def _tap1_forward("));
    }

    [Test]
    public void Rewrite_ChildTypedAsModuleInterface_ReportsItUntappedAndStillTapsTheRest()
    {
        var reference = Reference("through_interface");
        var result = ScriptTapRewriter.Rewrite(Archive("through_interface"), Path.Combine(scratch, "tapped.pt"));
        Assert.That(result.Untapped, Has.Count.EqualTo(1));
        Assert.That(result.Untapped[0], Does.Contain("impl.forward").And.Contain("interface"));
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(result);
        var (output, taps) = tapped.ForwardWithTaps(ToTensor(reference.GetProperty("input")));
        Assert.That(taps.Select(t => t.Name), Is.EqualTo(new[] { "head" }));
        Assert.That(MaxAbsDiff(output, reference.GetProperty("output")), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Rewrite_ChildCalledInsideIf_IsTappedWhenTheBranchRuns()
    {
        using var scope = NewDisposeScope();
        using var tapped = TappedScriptModule.Load(Path.Combine(JitFolder, "call_inside_if_scripted.pt"));
        Assert.That(tapped.Rewrite.Untapped, Is.Empty);
        Assert.That(tapped.ForwardWithTaps(ones(2, 4)).Taps.Select(t => t.Name), Is.EqualTo(new[] { "lin" }));
        Assert.That(tapped.ForwardWithTaps(-ones(2, 4)).Taps, Is.Empty);
    }

    [Test]
    public void Rewrite_ModelReturningTuple_ThrowsNotSupportedNamingTheType()
    {
        var ex = Assert.Throws<NotSupportedException>(() => ScriptTapRewriter.Rewrite(Path.Combine(JitFolder, "two_heads_scripted.pt"), Path.Combine(scratch, "tapped.pt")));
        Assert.That(ex!.Message, Does.Contain("Tuple[Tensor, Tensor]").And.Contain("one Tensor"));
    }

    [Test]
    public void Load_OfRewriteLibtorchCannotParse_ThrowsInvalidOperationWithLibtorchsMessage()
    {
        // A source file without its final newline is one error libtorch's parser reports as an exception (some
        // compile errors abort the process instead: pass a guarded loader for archives from unknown sources).
        var result = ScriptTapRewriter.Rewrite(Archive("sequential"), Path.Combine(scratch, "tapped.pt"));
        using (var zip = ZipFile.Open(result.RewrittenPath, ZipArchiveMode.Update))
        {
            var entry = zip.Entries.First(e => e.FullName.EndsWith("container.py", StringComparison.Ordinal));
            string text;
            using (var reader = new StreamReader(entry.Open())) text = reader.ReadToEnd();
            string name = entry.FullName;
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry(name, CompressionLevel.NoCompression).Open());
            writer.Write(text.TrimEnd('\n'));
        }
        var ex = Assert.Throws<InvalidOperationException>(() => TappedScriptModule.Load(result));
        Assert.That(ex!.Message, Does.Contain("could not load the tap-rewritten copy").And.Contain("expected newline"));
    }

    [Test]
    public void Rewrite_OfMissingFile_ThrowsFileNotFoundNamingIt()
    {
        var missing = Path.Combine(scratch, "nope.pt");
        var ex = Assert.Throws<FileNotFoundException>(() => ScriptTapRewriter.Rewrite(missing, Path.Combine(scratch, "tapped.pt")));
        Assert.That(ex!.Message, Does.Contain(missing));
    }

    [Test]
    public void Rewrite_OfNonZip_ThrowsArgumentException()
    {
        var bogus = Path.Combine(scratch, "bogus.pt");
        File.WriteAllText(bogus, "not a zip");
        var ex = Assert.Throws<ArgumentException>(() => ScriptTapRewriter.Rewrite(bogus, Path.Combine(scratch, "tapped.pt")));
        Assert.That(ex!.Message, Does.Contain("not a readable TorchScript archive"));
        Assert.That(ex.ParamName, Is.EqualTo("archivePath"));
    }

    [Test]
    public void Rewrite_OfStateDictPickle_ThrowsArgumentExceptionSayingHowToSave()
    {
        var ex = Assert.Throws<ArgumentException>(() => ScriptTapRewriter.Rewrite(Path.Combine(JitFolder, "plain_state_dict_pickle.pt"), Path.Combine(scratch, "tapped.pt")));
        Assert.That(ex!.Message, Does.Contain("torch.jit.script"));
    }

    [TestCase("", "out.pt")]
    [TestCase("in.pt", " ")]
    public void Rewrite_WithEmptyPath_ThrowsArgumentException(string source, string destination)
    {
        Assert.Throws<ArgumentException>(() => ScriptTapRewriter.Rewrite(source, destination));
    }
}
