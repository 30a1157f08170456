using System.IO.Compression;
using EquivarianceRegularizer.Jit;
using static EquivarianceRegularizer.Tests.Jit.JitTestFiles;

namespace EquivarianceRegularizer.Tests.Jit;

/// <summary>TorchScriptArchive.Verify: the checks made before libtorch sees a file.</summary>
public class TorchScriptArchiveTests
{
    private static TorchScriptLoadFailure ReasonOf(string path) =>
        Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(path))!.Reason;

    [TestCase("small_cnn_scripted.pt")]
    [TestCase("small_cnn_traced.pt")]
    [TestCase("nested_scripted.pt")]
    [TestCase("nested_mixed_mode_scripted.pt")]
    [TestCase("call_inside_if_scripted.pt")]
    public void Verify_OnArchivesSavedByPyTorch_Passes(string name)
    {
        Assert.That(TorchScriptArchive.Verify(Fixture(name)), Is.EqualTo(Path.GetFullPath(Fixture(name))));
    }

    [TestCase("unknown_operator.pt")]
    [TestCase("code_undefined_name.pt")]
    [TestCase("code_syntax_error.pt")]
    public void Verify_OnIntactArchiveWithCodeThatDoesNotCompile_Passes_SoOnlyTheProbeCanStopIt(string name)
    {
        Assert.DoesNotThrow(() => TorchScriptArchive.Verify(Bad(name)));
    }

    [Test]
    public void Verify_OnMissingFileOrDirectory_SaysNotFound()
    {
        var missing = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Fixture("no_such_model.pt")))!;
        Assert.That(missing.Reason, Is.EqualTo(TorchScriptLoadFailure.NotFound));
        Assert.That(missing.Message, Does.Contain("no_such_model.pt").And.Contain("does not exist"));
        var directory = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Fixture("")))!;
        Assert.That(directory.Reason, Is.EqualTo(TorchScriptLoadFailure.NotFound));
        Assert.That(directory.Message, Does.Contain("is a directory"));
    }

    [Test]
    public void Verify_OnTorchSaveStateDict_SaysNotTorchScript_AndHowToSaveAModel()
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Fixture("plain_state_dict_pickle.pt")))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.NotTorchScript));
        Assert.That(e.Message, Does.Contain("torch.jit.save"));
    }

    [Test]
    public void Verify_OnLegacyPickleOrTextOrEmptyFile_SaysNotAnArchive()
    {
        Assert.That(ReasonOf(Write("legacy.pt", [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc])), Is.EqualTo(TorchScriptLoadFailure.NotAnArchive));
        Assert.That(ReasonOf(Write("text.pt", "hello, model"u8.ToArray())), Is.EqualTo(TorchScriptLoadFailure.NotAnArchive));
        Assert.That(ReasonOf(Write("empty.pt", [])), Is.EqualTo(TorchScriptLoadFailure.NotAnArchive));
    }

    [Test]
    public void Verify_OnEveryTruncation_Throws_NeverPasses()
    {
        var bytes = File.ReadAllBytes(Fixture("small_cnn_scripted.pt"));
        foreach (int length in new[] { 3, 30, 100, bytes.Length / 2, bytes.Length - 23, bytes.Length - 1 })
        {
            var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("cut.pt", bytes[..length])), $"cut to {length}")!;
            Assert.That(e.Reason, Is.AnyOf(TorchScriptLoadFailure.NotAnArchive, TorchScriptLoadFailure.Corrupt), $"cut to {length}");
        }
    }

    [Test]
    public void Verify_OnBitFlipInStoredTensorData_FailsItsCrc()
    {
        var bytes = File.ReadAllBytes(Fixture("small_cnn_scripted.pt"));
        var zipStart = bytes.AsSpan().IndexOf("small_cnn_scripted/data/7"u8);
        bytes[zipStart + "small_cnn_scripted/data/7".Length + 100] ^= 0x10; // inside data/7's 864 weight bytes
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("flip.pt", bytes)))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.Corrupt));
        Assert.That(e.Message, Does.Contain("data/7").And.Contain("CRC-32"));
    }

    [Test]
    public void Verify_OnBitFlipInDeflatedCode_IsCaughtAfterInflating()
    {
        var bytes = File.ReadAllBytes(Fixture("small_cnn_scripted.pt"));
        using (var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read))
            Assert.That(zip.GetEntry("small_cnn_scripted/code/__torch__.py")!.CompressedLength, Is.LessThan(1244), "the code entry is deflated");
        int at = IndexOf(bytes, "small_cnn_scripted/code/__torch__.py") + "small_cnn_scripted/code/__torch__.py".Length + 40;
        bytes[at] ^= 0x04;
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("flip-code.pt", bytes)))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.Corrupt));
        Assert.That(e.Message, Does.Contain("code/__torch__.py"));
    }

    [Test]
    public void Verify_OnDirectoryNameThatDiffersFromTheLocalHeader_SaysCorrupt()
    {
        // One flipped bit in a central-directory name kept every CRC right and made libtorch 2.10 abort (fuzz seed 2, #638).
        var bytes = File.ReadAllBytes(Fixture("nested_traced.pt"));
        int directory = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8);
        bytes[directory + 46 + 5] ^= 0x80; // a character of the first directory entry's name
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("cd-name.pt", bytes)))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.Corrupt));
        Assert.That(e.Message, Does.Contain("another name in its local header"));
    }

    [Test]
    public void Verify_OnDuplicatedEntryWithValidCrcs_SaysCorrupt()
    {
        var source = File.ReadAllBytes(Fixture("small_cnn_scripted.pt"));
        var output = new MemoryStream();
        using (var input = new ZipArchive(new MemoryStream(source), ZipArchiveMode.Read))
        using (var copy = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries.Concat([input.GetEntry("small_cnn_scripted/data.pkl")!]))
            {
                using var from = entry.Open();
                using var to = copy.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
                from.CopyTo(to);
            }
        }
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("dup.pt", output.ToArray())))!;
        Assert.That(e.Reason, Is.EqualTo(TorchScriptLoadFailure.Corrupt));
        Assert.That(e.Message, Does.Contain("appears twice"));
    }

    [Test]
    public void Verify_OnModuleClassAssignmentWithoutAnnotation_SaysDamagedCode()
    {
        var source = File.ReadAllBytes(Fixture("small_cnn_scripted.pt"));
        var output = new MemoryStream();
        using (var input = new ZipArchive(new MemoryStream(source), ZipArchiveMode.Read))
        using (var copy = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in input.Entries)
            {
                using var from = entry.Open();
                using var to = copy.CreateEntry(entry.FullName).Open();
                if (!entry.FullName.EndsWith("code/__torch__.py", StringComparison.Ordinal))
                {
                    from.CopyTo(to);
                    continue;
                }
                var text = new StreamReader(from).ReadToEnd().Replace("  __buffers__ = []", "  __buffers_W = []", StringComparison.Ordinal);
                var changed = System.Text.Encoding.UTF8.GetBytes(text);
                to.Write(changed);
            }
        }
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Write("class-body.pt", output.ToArray())))!;
        Assert.That(e.Message, Does.Contain("__buffers_W").And.Contain("line 3"));
    }

    [Test]
    public void Exception_IsAnIOException_WithAOneLineMessage()
    {
        var e = Assert.Throws<TorchScriptLoadException>(() => TorchScriptArchive.Verify(Fixture("plain_state_dict_pickle.pt")))!;
        Assert.That(e, Is.InstanceOf<IOException>());
        Assert.That(e.Message, Does.Not.Contain('\n'));
        Assert.That(e.Path, Is.EqualTo(Path.GetFullPath(Fixture("plain_state_dict_pickle.pt"))));
    }
}
