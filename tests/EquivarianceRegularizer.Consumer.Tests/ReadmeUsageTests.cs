namespace EquivarianceRegularizer.Consumer.Tests;

/// <summary>The README's "Using it" code is the consumer program CI builds against the packed library, verbatim.</summary>
public class ReadmeUsageTests
{
    [Test]
    public void ReadmeUsingItCode_IsTheConsumerProgram()
    {
        var root = Path.GetFullPath(Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "..", "..", ".."));
        var readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var program = File.ReadAllLines(Path.Combine(TestContext.CurrentContext.TestDirectory, "ConsumerApp", "Program.cs.txt"));
        var body = string.Join('\n', program.Skip(2)).Trim();
        Assert.That(readme, Does.Contain("```csharp\n" + body + "\n```"), "README.md's Using it block differs from ConsumerApp/Program.cs.txt");
    }
}
