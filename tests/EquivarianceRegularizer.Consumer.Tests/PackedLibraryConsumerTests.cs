using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using EquivarianceRegularizer.Build;

namespace EquivarianceRegularizer.Consumer.Tests;

/// <summary>
/// Packs EquivarianceRegularizer and EquivarianceRegularizer.NUnit into a folder feed with a version of their own (so
/// restore cannot pick a stale copy from the user's package cache) and uses them the way a user outside this
/// repository does: a fresh console app restores, builds and runs against the packages.
/// </summary>
[Category("Consumer")]
[NonParallelizable]
public class PackedLibraryConsumerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(8);
    private string root = "";
    private string feed = "";
    private string version = "";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EquivarianceRegularizer.sln"))) return dir.FullName;
        throw new InvalidOperationException("EquivarianceRegularizer.sln not found above the test output; run the tests from a checkout.");
    }

    [OneTimeSetUp]
    public void PackIntoFolderFeed()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("the consumer app is built for linux-x64");
        root = Path.Combine(Path.GetTempPath(), $"eqvr-consumer-{Guid.NewGuid():N}");
        feed = Path.Combine(root, "feed");
        version = $"0.0.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var repo = RepositoryRoot();
        foreach (var project in new[] { "src/EquivarianceRegularizer/EquivarianceRegularizer.csproj", "src/EquivarianceRegularizer.NUnit/EquivarianceRegularizer.NUnit.csproj" })
        {
            // Build outputs go under the temporary folder, not into the checkout's bin/ and obj/.
            DotnetCommand.Succeed(repo, Timeout, "pack", project, "-c", "Release", "-o", feed, $"-p:Version={version}",
                "--artifacts-path", Path.Combine(root, "artifacts"), "-nologo");
        }
    }

    [OneTimeTearDown]
    public void DeleteTemporaryFolders()
    {
        if (root.Length > 0 && Directory.Exists(root)) Directory.Delete(root, recursive: true);
        // The restores extracted this run's one-off versions into the package cache: nobody else will use them.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in new[] { "equivarianceregularizer", "equivarianceregularizer.nunit" })
        {
            var extracted = Path.Combine(cache, id, version);
            if (version.Length > 0 && Directory.Exists(extracted)) Directory.Delete(extracted, recursive: true);
        }
    }

    /// <summary>A project folder with the test's NuGet.config: the folder feed first, then the repository's sources.</summary>
    private string NewProjectFolder(string name, string projectText)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        WriteNuGetConfig(folder);
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), projectText);
        return folder;
    }

    /// <summary>The repository's NuGet.config with the folder feed added first, as the README tells users to write theirs.</summary>
    private void WriteNuGetConfig(string folder)
    {
        var config = File.ReadAllText(Path.Combine(RepositoryRoot(), "NuGet.config"));
        Assert.That(config, Does.Contain("<clear />"), "the repository's NuGet.config clears inherited sources");
        config = config.Replace("<clear />", $"<clear />\n    <add key=\"consumer-test-feed\" value=\"{feed}\" />", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(folder, "NuGet.config"), config);
    }

    private static string ConsumerFile(string name) => File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "ConsumerApp", name));

    private static byte[] Sha256(string path) => SHA256.HashData(File.ReadAllBytes(path));

    [Test]
    public void LibraryPackage_ShipsTheLoadFixTargetsAndTaskSource()
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed, $"EquivarianceRegularizer.{version}.nupkg"));
        var names = package.Entries.Select(e => e.FullName).ToList();
        Assert.That(names, Does.Contain("buildTransitive/EquivarianceRegularizer.targets")
            .And.Contain("buildTransitive/EquivarianceRegularizer.NativeLoad.targets")
            .And.Contain("buildTransitive/WeakenLibStdCxxRequirement.cs")
            .And.Contain("lib/net10.0/EquivarianceRegularizer.dll"));
    }

    [TestCase("EquivarianceRegularizer")]
    [TestCase("EquivarianceRegularizer.NUnit")]
    public void Package_CarriesReadmeLicenceAndDescription(string id)
    {
        using var package = ZipFile.OpenRead(Path.Combine(feed, $"{id}.{version}.nupkg"));
        Assert.That(package.Entries.Select(e => e.FullName), Does.Contain("README.md"));
        using var reader = new StreamReader(package.Entries.Single(e => e.FullName == $"{id}.nuspec").Open());
        var nuspec = reader.ReadToEnd();
        Assert.That(nuspec, Does.Contain("<license type=\"expression\">MIT</license>").And.Contain("<readme>README.md</readme>")
            .And.Match("<description>[^<]{20,}</description>"));
        if (id.EndsWith(".NUnit", StringComparison.Ordinal))
            Assert.That(nuspec, Does.Match(@"<dependency id=""NUnit"" version=""4\.[0-9.]+""") , "NUnit 4.x and 5 projects both satisfy the helpers' dependency");
    }

    [Test]
    public void NUnitPackage_ReferencedAlone_BringsTheLoadFixTransitively()
    {
        var folder = NewProjectFolder("NUnitOnly", $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageReference Include="EquivarianceRegularizer.NUnit" Version="{version}" /></ItemGroup>
            </Project>
            """);
        DotnetCommand.Succeed(folder, Timeout, "restore", "-nologo");
        var imports = File.ReadAllText(Path.Combine(folder, "obj", "NUnitOnly.csproj.nuget.g.targets"));
        Assert.That(imports, Does.Contain($"equivarianceregularizer/{version}/buildTransitive/EquivarianceRegularizer.targets"));
    }

    [Test]
    public void DotnetNewNunitProject_WithTheTemplatesNUnit_RunsEquivarianceAssert()
    {
        var folder = Path.Combine(root, "NewNunit");
        DotnetCommand.Succeed(root, Timeout, "new", "nunit", "-n", "NewNunit", "-o", folder, "--no-restore");
        WriteNuGetConfig(folder);
        var projectPath = Path.Combine(folder, "NewNunit.csproj");
        var project = File.ReadAllText(projectPath);
        var nunit = Regex.Match(project, @"<PackageReference Include=""NUnit"" Version=""([^""]+)""");
        Assert.That(nunit.Success, Is.True, $"the template references NUnit:\n{project}");
        TestContext.Progress.WriteLine($"dotnet new nunit references NUnit {nunit.Groups[1].Value}");
        // What a user adds: the helpers, a backend, and the runtime (README's tip: one platform's libtorch, not three).
        project = project.Replace("</Project>", $"""
              <PropertyGroup><RuntimeIdentifier>linux-x64</RuntimeIdentifier><SelfContained>false</SelfContained></PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EquivarianceRegularizer.NUnit" Version="{version}" />
                <PackageReference Include="TorchSharp" Version="0.107.0" />
                <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
              </ItemGroup>
            </Project>
            """, StringComparison.Ordinal);
        File.WriteAllText(projectPath, project);
        File.WriteAllText(Path.Combine(folder, "UnitTest1.cs"), ConsumerFile("NUnitTests.cs.txt"));

        var test = DotnetCommand.Succeed(folder, Timeout, "test", "-c", "Release", "-nologo");
        Assert.That(test.Output, Does.Not.Contain("NU1605"), "no package downgrade");
        Assert.That(test.Output, Does.Match(@"(Passed:\s+2|total: 2.*succeeded: 2)").IgnoreCase, test.Output);
    }

    [Test]
    public void FreshConsoleApp_BuildsAndTrains_WithOnlyItsOutputCopyOfLibTorchSharpPatched()
    {
        var folder = NewProjectFolder("Consumer", ConsumerFile("Consumer.csproj.txt"));
        File.WriteAllText(Path.Combine(folder, "Program.cs"), ConsumerFile("Program.cs.txt"));
        var versionProperty = $"-p:EquivarianceRegularizerVersion={version}";
        DotnetCommand.Succeed(folder, Timeout, "restore", versionProperty, "-nologo");

        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "obj", "project.assets.json")));
        var cache = assets.RootElement.GetProperty("packageFolders").EnumerateObject().First().Name;
        var cached = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var cachedHash = Sha256(cached);

        var build = DotnetCommand.Succeed(folder, Timeout, "build", "-c", "Release", "--no-restore", versionProperty, "-nologo", "-v", "n");
        var output = Path.Combine(folder, "bin", "Release", "net10.0", "linux-x64");
        var copy = Path.Combine(output, "libLibTorchSharp.so");
        var hostLacksVersion = HostLacksGlibcxx3432();
        AssertPatchedExactlyWhenNeeded(copy, cached, hostLacksVersion);
        if (hostLacksVersion) Assert.That(build.Output, Does.Contain("EquivarianceRegularizerPatchLibStdCxx: marked GLIBCXX_3.4.32 weak"));

        var fixtures = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures");
        var run = DotnetCommand.Succeed(folder, Timeout, Path.Combine(output, "Consumer.dll"),
            Path.Combine(fixtures, "plain_cnn.pt"), Path.Combine(fixtures, "unknown_operator.pt")).Output;
        AssertTrains(run);
        Assert.That(File.Exists(Path.Combine(output, "EquivarianceRegularizer.ModelProbe.dll")), Is.True, "the package's build copies the model probe beside the app");
        Assert.That(run, Does.Match(@"script audit: (Pass|NeedsAttention|Fail)"), "a TorchScript model loaded through the probe is audited");
        Assert.That(run, Does.Contain("refused: UnknownOperator"), "an archive libtorch cannot compile is an exception in the consumer, not an abort");

        // An incremental build copies copy-local files again where they look changed: the copy must stay loadable.
        DotnetCommand.Succeed(folder, Timeout, "build", "-c", "Release", "--no-restore", versionProperty, "-nologo");
        AssertPatchedExactlyWhenNeeded(copy, cached, hostLacksVersion);
        AssertTrains(DotnetCommand.Succeed(folder, Timeout, Path.Combine(output, "Consumer.dll")).Output);

        Assert.That(Sha256(cached), Is.EqualTo(cachedHash), "the package cache's libLibTorchSharp.so is never written");
        TestContext.Progress.WriteLine($"consumer output: {DirectorySize(output) / 1e6:F0} MB apparent");
    }

    private static bool HostLacksGlibcxx3432()
    {
        var host = WeakenLibStdCxxRequirement.FindHostLibStdCxx();
        return host == null || !WeakenLibStdCxxRequirement.DefinedVersions(File.ReadAllBytes(host)).Contains(WeakenLibStdCxxRequirement.MissingVersion);
    }

    private static void AssertPatchedExactlyWhenNeeded(string copy, string cached, bool hostLacksVersion)
    {
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(cached)), Is.False, "the cache keeps TorchSharp's file as shipped");
        Assert.That(WeakenLibStdCxxRequirement.IsRequirementWeak(File.ReadAllBytes(copy)), Is.EqualTo(hostLacksVersion),
            hostLacksVersion ? "this host's libstdc++ lacks GLIBCXX_3.4.32: the output copy must be patched" : "this host has GLIBCXX_3.4.32: nothing to patch");
    }

    private static void AssertTrains(string output)
    {
        var match = Regex.Match(output, @"penalty first=(\S+) last=(\S+)");
        Assert.That(match.Success, Is.True, $"the consumer printed no penalty line:\n{output}");
        var first = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var last = double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.That(double.IsFinite(first) && double.IsFinite(last), Is.True, "the regularizer gives finite penalties");
        Assert.That(last, Is.LessThan(first), "20 regularized Adam steps lower the rot90 penalty");
        var audit = Regex.Match(output, @"audit: (Pass|NeedsAttention|Fail) layers=(\d+)");
        Assert.That(audit.Success, Is.True, $"the consumer printed no audit line:\n{output}");
        Assert.That(int.Parse(audit.Groups[2].Value, CultureInfo.InvariantCulture), Is.EqualTo(5), "the audit saw every layer through forward hooks");
        Assert.That(output, Does.Contain("consumer: ok"));
    }

    private static long DirectorySize(string folder) => new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
