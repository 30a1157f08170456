using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>
/// Malformed command lines give exit code 2 and one line on stderr naming the option, never a stack trace or a crash
/// (docs/bad-inputs.md, section "CLI").
/// </summary>
public class CliBadInputTests
{
    private static string Model => Path.Combine(Fixtures, "c4_invariant_cnn.pt");

    private static void AssertOneLineUsageError(string[] args, string expected)
    {
        var (exit, stdout, stderr) = Eqv(args);
        Assert.That(exit, Is.EqualTo(2), $"exit code for {string.Join(" ", args)}: {stdout}{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), "one line on stderr: " + stderr);
        Assert.That(lines[0], Does.StartWith("eqv: ").And.Contain(expected).IgnoreCase);
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }

    [TestCase("")]
    [TestCase("0,12,12")]
    [TestCase("-1,12,12")]
    [TestCase("1,,12")]
    [TestCase("1;12;12")]
    [TestCase("1.5,12,12")]
    [TestCase("1,12,12,")]
    [TestCase("[1,12,12]")]
    [TestCase("1,x,12")]
    [TestCase("99999999999999999999,12")]
    public void MalformedInputShape_ExitsTwo_NamingTheOption(string shape) =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", shape, "--transform", "rot90" }, "--input-shape");

    [TestCase("spin")]
    [TestCase("")]
    [TestCase("rot 90")]
    [TestCase("rot90;rm -rf /")]
    [TestCase("<script>")]
    public void UnknownTransformName_ExitsTwo_NamingTheTransform(string name) =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", name }, "transform");

    [Test]
    public void UnknownOutputAction_ExitsTwo() =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--output", "sideways" }, "sideways");

    [TestCase("0")]
    [TestCase("-4")]
    public void SamplesBelowOne_ExitsTwo(string samples) =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", samples }, "--samples");

    [TestCase("nan,1")]
    [TestCase("0,inf")]
    [TestCase("1")]
    [TestCase("1,0")]
    public void MalformedBounds_ExitsTwo(string bounds) =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--bounds", bounds }, "--bounds");

    [Test]
    public void NonNumericSeed_ExitsTwo() =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--seed", "abc" }, "abc");

    [Test]
    public void UnknownOption_ExitsTwo() =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--frobnicate" }, "--frobnicate");

    [Test]
    public void ModelPathThatIsADirectory_ExitsTwo() =>
        AssertOneLineUsageError(new[] { "audit", Fixtures, "--input-shape", "1,12,12", "--transform", "rot90" }, "");

    [Test]
    public void PlainPickleInsteadOfTorchScript_ExitsTwo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"eqv-pickle-{Guid.NewGuid():N}.pt");
        // A raw pickle (torch.save legacy format): protocol 2 header, then a GLOBAL os.system call.
        File.WriteAllBytes(path, new byte[] { 0x80, 0x02 }.Concat("cos\nsystem\n"u8.ToArray()).ToArray());
        try { AssertOneLineUsageError(new[] { "audit", path, "--input-shape", "1,12,12", "--transform", "rot90" }, "model"); }
        finally { File.Delete(path); }
    }

    [Test]
    public void HugeInputShape_ExitsTwo_WithoutAllocatingIt() =>
        AssertOneLineUsageError(new[] { "audit", Model, "--input-shape", "1000000,1000000,1000000", "--transform", "rot90" }, "");
}
