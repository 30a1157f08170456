using EquivarianceRegularizer.Cli;
using static EquivarianceRegularizer.Cli.Tests.ZooTests;

namespace EquivarianceRegularizer.Cli.Tests.Hardening;

/// <summary>Issue 12.3: what the CLI prints for bad input speaks the user's terms, not .NET's or libtorch's.</summary>
public class CliUserMessageTests
{
    private static string Model => Path.Combine(Fixtures, "c4_invariant_cnn.pt");

    private static readonly string[] Internals = { "(Parameter '", "System.", "enforce fail", "InputShape:", "Exception", "   at " };

    private static string OneLine(string[] args)
    {
        var (exit, stdout, stderr) = Eqv(args);
        Assert.That(exit, Is.EqualTo(2), stdout + stderr);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        foreach (var s in Internals) Assert.That(lines[0], Does.Not.Contain(s), lines[0]);
        return lines[0];
    }

    [TestCase("audit", "--samples", "99999999999", "--samples must be a whole number")]
    [TestCase("audit", "--seed", "-1", "--seed must be a whole number, 0 or more, got '-1'")]
    [TestCase("lie", "--seed", "x", "--seed must be a whole number")]
    [TestCase("audit", "--input-shape", "1,4000,4000", "needs about")]
    [TestCase("audit", "--transform", "roll:dim=9", "axis 9 does not exist")]
    [TestCase("audit", "--transform", "rot90:k=2", "takes no ':' options")]
    public void BadValue_IsOneLineInTheUsersTerms(string command, string option, string value, string expected)
    {
        var args = command == "audit"
            ? new List<string> { "audit", Model, "--input-shape", "1,12,12", "--transform", "rot90", "--samples", "4000" }
            : new List<string> { "lie", Model, "--input-shape", "1,12,12" };
        int i = args.IndexOf(option);
        if (i >= 0) args[i + 1] = value; else args.AddRange(new[] { option, value });
        Assert.That(OneLine(args.ToArray()), Does.Contain(expected));
    }

    [TestCase("audit", "12,12", "the model expects N,C,H,W input (its first convolution layer); --input-shape gave 2 dimensions")]
    [TestCase("audit", "144", "the model expects N,C,H,W input (its first conv2d layer); --input-shape gave 1 dimension ")]
    [TestCase("audit", "3,12,12", "the model's first convolution expects 1 input channel; --input-shape gave 3")]
    [TestCase("lie", "2,12,12", "the model's first convolution expects 1 input channel; --input-shape gave 2")]
    public void InputOfTheWrongRankOrChannels_SaysSoInTermsOfInputShape(string command, string shape, string expected)
    {
        var args = command == "audit"
            ? new[] { "audit", Model, "--input-shape", shape, "--transform", shape.Contains(',', StringComparison.Ordinal) ? "rot90" : "roll", "--samples", "4" }
            : new[] { "lie", Model, "--input-shape", shape, "--generators", "rotate", "--samples", "4" };
        Assert.That(OneLine(args), Does.Contain(expected));
    }

    [TestCase("a (Parameter 'name')", "a")]
    [TestCase("[enforce fail at alloc_cpu.cpp:75] . DefaultCPUAllocator: not enough memory", "DefaultCPUAllocator: not enough memory")]
    [TestCase("Cannot parse argument 'x' for option '--seed' as expected type 'System.UInt64'.", "--seed must be a whole number, 0 or more, got 'x'.")]
    [TestCase("InputShape: a tensor of shape [1] needs about 9 MiB", "a tensor of shape [1] needs about 9 MiB")]
    public void ErrorText_RemovesDotNetAndLibtorchInternals(string message, string expected) =>
        Assert.That(ErrorText.OneLine(message), Is.EqualTo(expected));
}
