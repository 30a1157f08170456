using System.Diagnostics;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using EquivarianceRegularizer.Build;
using Microsoft.Build.Utilities;

namespace EquivarianceRegularizer.Consumer.Tests;

/// <summary>The MSBuild task that marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak, run outside MSBuild.</summary>
public class WeakenLibStdCxxRequirementTests
{
    private string folder = "";

    private static string Shipped => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "libLibTorchSharp.so");

    [SetUp]
    public void CreateFolder()
    {
        folder = Path.Combine(Path.GetTempPath(), $"eqvr-patch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        Assume.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(Shipped)), Is.False, "the fixture is TorchSharp 0.107's file as shipped");
    }

    [TearDown]
    public void DeleteFolder() => Directory.Delete(folder, recursive: true);

    private string CopyOfShipped(string name = "libLibTorchSharp.so")
    {
        var path = Path.Combine(folder, name);
        File.Copy(Shipped, path);
        return path;
    }

    private static (WeakenLibStdCxxRequirement task, RecordingBuildEngine log) Run(string mode, string file, string host = "", string packageRoot = "")
    {
        var log = new RecordingBuildEngine();
        var task = new WeakenLibStdCxxRequirement { BuildEngine = log, Mode = mode, HostLibStdCxx = host, PackageRoot = packageRoot, Files = new[] { new TaskItem(file) } };
        Assert.That(task.Execute(), Is.True, string.Join("\n", log.Errors.Select(e => e.Message)));
        return (task, log);
    }

    /// <summary>A copy of this host's libstdc++ whose version definitions do, or do not, include GLIBCXX_3.4.32.</summary>
    private string HostLibStdCxx(bool definesMissingVersion)
    {
        var host = WeakenLibStdCxxRequirement.FindHostLibStdCxx();
        if (host == null) Assert.Ignore("no libstdc++.so.6 on this host");
        var data = File.ReadAllBytes(host!);
        // Same-length renames in the string table: 3.4.30 (GCC 12) becomes 3.4.32, or 3.4.32 becomes an unknown name.
        var (from, to) = definesMissingVersion ? ("GLIBCXX_3.4.30\0", "GLIBCXX_3.4.32\0") : ("GLIBCXX_3.4.32\0", "GLIBCXX_0.0.00\0");
        var pattern = Encoding.ASCII.GetBytes(from);
        for (var i = data.AsSpan().IndexOf(pattern); i >= 0; i = data.AsSpan().IndexOf(pattern))
            Encoding.ASCII.GetBytes(to).CopyTo(data, i);
        var path = Path.Combine(folder, definesMissingVersion ? "libstdc++-with.so.6" : "libstdc++-without.so.6");
        File.WriteAllBytes(path, data);
        Assert.That(WeakenLibStdCxxRequirement.DefinedVersions(data).Contains("GLIBCXX_3.4.32"), Is.EqualTo(definesMissingVersion));
        return path;
    }

    [Test]
    public void Always_OnShippedLibrary_SetsOnlyTheWeakFlagOfTheGlibcxx3432Requirement()
    {
        var file = CopyOfShipped();
        var (task, _) = Run("always", file);
        var before = File.ReadAllBytes(Shipped);
        var after = File.ReadAllBytes(file);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.That(after, Has.Length.EqualTo(before.Length));
        Assert.That(changed, Has.Count.EqualTo(1), "one byte of vna_flags");
        Assert.That(after[changed[0]] ^ before[changed[0]], Is.EqualTo(0x2), "VER_FLG_WEAK");
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(after), Is.True);
        Assert.That(task.PatchedFiles.Select(f => f.ItemSpec), Is.EqualTo(new[] { file }));
    }

    [Test]
    public void Always_OnAlreadyPatchedFile_LeavesItAsItIs()
    {
        var file = CopyOfShipped();
        Run("always", file);
        var patched = File.ReadAllBytes(file);
        var written = File.GetLastWriteTimeUtc(file);
        var (again, log) = Run("always", file);
        Assert.That(again.PatchedFiles, Is.Empty);
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(patched));
        Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(written));
        Assert.That(log.Warnings, Is.Empty);
    }

    [Test]
    [SupportedOSPlatform("linux")]
    public void Always_KeepsTheCopysTimeStampAndFileMode()
    {
        var file = CopyOfShipped();
        var stamp = new DateTime(2026, 5, 7, 10, 3, 28, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(file, stamp);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        Run("always", file);
        Assert.That(File.GetLastWriteTimeUtc(file), Is.EqualTo(stamp), "the SDK's SkipUnchangedFiles copy then keeps the patched copy");
        Assert.That(File.GetUnixFileMode(file), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead));
        Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1), "no temporary file left behind");
    }

    [Test]
    public void Always_OnHardLinkIntoACache_LeavesTheCachedFileUntouched()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("hard links made with ln");
        var cached = CopyOfShipped("cached.so");
        var output = Path.Combine(folder, "libLibTorchSharp.so");
        using (var ln = Process.Start("ln", new[] { cached, output })) { ln.WaitForExit(); Assert.That(ln.ExitCode, Is.Zero); }
        var hash = SHA256.HashData(File.ReadAllBytes(cached));
        Run("always", output);
        Assert.That(SHA256.HashData(File.ReadAllBytes(cached)), Is.EqualTo(hash));
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(cached)), Is.False);
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(output)), Is.True);
    }

    [Test]
    public void Auto_OnHostWhoseLibStdCxxLacksTheVersion_Patches()
    {
        var file = CopyOfShipped();
        var (task, _) = Run("auto", file, host: HostLibStdCxx(definesMissingVersion: false));
        Assert.That(task.PatchedFiles, Has.Length.EqualTo(1));
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(file)), Is.True);
    }

    [Test]
    public void Auto_OnHostWhoseLibStdCxxDefinesTheVersion_LeavesTheFileAsShipped()
    {
        var file = CopyOfShipped();
        var (task, _) = Run("auto", file, host: HostLibStdCxx(definesMissingVersion: true));
        Assert.That(task.PatchedFiles, Is.Empty);
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(File.ReadAllBytes(Shipped)));
    }

    [TestCase("GLIBCXX_3.4", true)]     // std::string, operator new, ...: bound by relocations
    [TestCase("CXXABI_1.3", true)]      // __cxa_throw, ...
    [TestCase("GLIBCXX_3.4.32", false)] // std::ios_base_library_init(): required, never called
    public void RelocationCheck_OnShippedLibrary_TellsUsedVersionsFromTheUnusedOne(string version, bool used)
    {
        var data = File.ReadAllBytes(Shipped);
        Assert.That(WeakenLibStdCxxRequirement.FindRequirementFlags(data, version, out var index), Is.GreaterThan(0), $"the file requires {version}");
        Assert.That(WeakenLibStdCxxRequirement.RelocationsUseVersion(data, index), Is.EqualTo(used));
    }

    [Test]
    public void HostLibStdCxx_DefinesTheBaseGlibcxxVersion()
    {
        var host = WeakenLibStdCxxRequirement.FindHostLibStdCxx();
        if (host == null) Assert.Ignore("no libstdc++.so.6 on this host");
        Assert.That(WeakenLibStdCxxRequirement.DefinedVersions(File.ReadAllBytes(host!)), Does.Contain("GLIBCXX_3.4").And.Contain("CXXABI_1.3"));
    }

    [TestCase("not an ELF file at all")]
    [TestCase(null)]
    public void Always_OnFileThatIsNoUsableElf_WarnsNamingTheSwitchAndLeavesIt(string? text)
    {
        var file = Path.Combine(folder, "libLibTorchSharp.so");
        var content = text == null ? File.ReadAllBytes(Shipped).AsSpan(0, 4096).ToArray() : Encoding.ASCII.GetBytes(text); // null: truncated
        File.WriteAllBytes(file, content);
        var (task, log) = Run("always", file);
        Assert.That(task.PatchedFiles, Is.Empty);
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(content));
        Assert.That(log.Warnings.Select(w => w.Code), Is.EqualTo(new[] { "EQVR001" }));
        Assert.That(log.Warnings[0].Message, Does.Contain("EquivarianceRegularizerPatchLibStdCxx=false"));
    }

    [Test]
    public void Always_OnFileInsideThePackageFolder_RefusesIt()
    {
        var file = CopyOfShipped();
        var (task, log) = Run("always", file, packageRoot: folder);
        Assert.That(task.PatchedFiles, Is.Empty);
        Assert.That(File.ReadAllBytes(file), Is.EqualTo(File.ReadAllBytes(Shipped)));
        Assert.That(log.Warnings.Select(w => w.Code), Is.EqualTo(new[] { "EQVR003" }));
    }
}
