namespace EquivarianceRegularizer.Tests.Jit;

/// <summary>The TorchScript fixtures (tests/fixtures/jit, bad archives in bad/) and scratch copies of damaged bytes.</summary>
internal static class JitTestFiles
{
    public static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jit", name);

    /// <summary>Archives that pass every zip check but whose code libtorch 2.10 cannot compile (generate_bad_archives.py).</summary>
    public static string Bad(string name) => Fixture(Path.Combine("bad", name));

    /// <summary>Writes <paramref name="bytes"/> to a fresh file under the test's work directory.</summary>
    public static string Write(string name, byte[] bytes)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "jit-scratch");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Offset of the first byte of <paramref name="marker"/> (ASCII) in <paramref name="bytes"/>.</summary>
    public static int IndexOf(byte[] bytes, string marker) => bytes.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(marker));
}
