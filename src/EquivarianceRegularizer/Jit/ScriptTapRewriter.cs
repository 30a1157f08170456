using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Rewrites a TorchScript archive (<c>.pt</c>) so that one forward also reports every submodule call's input and
/// output. A <c>.pt</c> is a zip whose <c>code/__torch__/**.py</c> files hold each class's TorchScript source;
/// the rewrite adds to each class a tapped twin of each method reachable from the root's forward, plus one entry
/// method on the root, and leaves every original method, parameter and buffer as it was. The rewritten archive
/// loads with libtorch like the original; <see cref="TappedScriptModule"/> loads it and reads the taps.
/// </summary>
internal static partial class ScriptTapRewriter
{
    /// <summary>Writes a tapped copy of <paramref name="archivePath"/> to <paramref name="rewrittenPath"/>.</summary>
    /// <param name="archivePath">A TorchScript archive saved by PyTorch (<c>torch.jit.save</c>, <c>ScriptModule.save</c>).</param>
    /// <param name="rewrittenPath">Where to write the rewritten archive; an existing file there is replaced.</param>
    /// <returns>The rewritten archive's path, what could not be tapped and why, and the time taken.</returns>
    /// <exception cref="ArgumentException">A path is empty, or the file is not a TorchScript archive.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="archivePath"/>.</exception>
    /// <exception cref="NotSupportedException">The model's forward does not return one tensor, or its source cannot be found.</exception>
    public static ScriptTapRewriteResult Rewrite(string archivePath, string rewrittenPath)
    {
        if (string.IsNullOrWhiteSpace(archivePath)) throw new ArgumentException("archivePath is empty; pass the path of a TorchScript .pt file.", nameof(archivePath));
        if (string.IsNullOrWhiteSpace(rewrittenPath)) throw new ArgumentException("rewrittenPath is empty; pass where to write the tapped copy.", nameof(rewrittenPath));
        if (!File.Exists(archivePath)) throw new FileNotFoundException($"No TorchScript archive at '{archivePath}'.", archivePath);
        try
        {
            TorchScriptArchive.RequireRegularFile(Path.GetFullPath(archivePath));
        }
        catch (TorchScriptLoadException e)
        {
            throw new ArgumentException(e.Message, nameof(archivePath), e);
        }
        var clock = Stopwatch.StartNew();
        var entries = ReadEntries(archivePath);
        var classes = new Dictionary<string, ScriptTapSourceClass>(StringComparer.Ordinal);
        var sources = new Dictionary<string, string[]>(StringComparer.Ordinal);
        byte[]? dataPickle = null;
        foreach (var (name, bytes) in entries)
        {
            if (name.EndsWith("/data.pkl", StringComparison.Ordinal) && name.Count(c => c == '/') == 1) dataPickle = bytes;
            var code = CodeEntry().Match(name);
            if (!code.Success) continue;
            var lines = Encoding.UTF8.GetString(bytes).Split('\n');
            sources[name] = lines;
            foreach (var cls in ScriptTapSourceParser.Parse(lines, code.Groups[1].Value.Replace('/', '.'), name)) classes[cls.QualifiedName] = cls;
        }
        if (sources.Count == 0 || dataPickle is null)
            throw new ArgumentException($"'{archivePath}' holds no TorchScript source (code/**.py) or no data.pkl: it is not a TorchScript archive (a torch.save pickle or a mobile-only export?). Save the model with torch.jit.script(...).save(path) or torch.jit.trace(...).save(path).", nameof(archivePath));
        string rootName = RootClassName(dataPickle, archivePath);
        if (!classes.TryGetValue(rootName, out var root))
            throw new NotSupportedException($"The root module class '{rootName}' of '{archivePath}' has no source in the archive; it cannot be tapped.");

        var writer = new ScriptTapMethodWriter(classes, UnusedPrefix(sources.Values));
        writer.WriteFrom(root);
        var rewritten = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var group in writer.AddedLines.GroupBy(kv => kv.Key.EntryName))
        {
            var lines = sources[group.Key].ToList();
            foreach (var (cls, added) in group.OrderByDescending(kv => kv.Key.EndLine).Select(kv => (kv.Key, kv.Value)))
                lines.InsertRange(cls.EndLine, added);
            // libtorch's lexer needs the last statement to end in a newline.
            rewritten[group.Key] = Encoding.UTF8.GetBytes(string.Join('\n', lines).TrimEnd('\n') + "\n");
        }
        WriteEntries(archivePath, rewrittenPath, rewritten);
        return new ScriptTapRewriteResult(rewrittenPath, writer.Untapped, writer.TappedCallSites, clock.Elapsed,
            writer.EntryMethodName, writer.CopyingEntryMethodName, writer.AddingEntryMethodName, writer.SitePaths, writer.Methods);
    }

    /// <summary>The most one source entry (code/**.py, data.pkl) may inflate to; real ones are a few KiB to a few hundred KiB.</summary>
    internal const long MaxSourceEntryBytes = 16L << 20;

    /// <summary>The most all source entries together may inflate to.</summary>
    internal const long MaxSourceTotalBytes = 64L << 20;

    private static bool IsSourceEntry(string name) =>
        CodeEntry().IsMatch(name) || (name.EndsWith("/data.pkl", StringComparison.Ordinal) && name.Count(c => c == '/') == 1);

    // Reads the entries the rewrite parses (sources and data.pkl), each and all together bounded: a small archive whose
    // code inflates to gigabytes is refused before it is materialised. Tensor data is never read here; WriteEntries
    // streams it from the original.
    private static List<(string Name, byte[] Bytes)> ReadEntries(string archivePath)
    {
        try
        {
            using var zip = ZipFile.OpenRead(archivePath);
            var entries = new List<(string, byte[])>();
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                if (!IsSourceEntry(entry.FullName)) continue;
                if (entry.Length > MaxSourceEntryBytes || total + entry.Length > MaxSourceTotalBytes) throw TooLarge(archivePath, entry.FullName, entry.Length);
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                var buffer = new byte[1 << 16];
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    copy.Write(buffer, 0, n);
                    // The declared size can lie; what is actually inflated counts.
                    if (copy.Length > MaxSourceEntryBytes || total + copy.Length > MaxSourceTotalBytes) throw TooLarge(archivePath, entry.FullName, copy.Length);
                }
                total += copy.Length;
                entries.Add((entry.FullName, copy.ToArray()));
            }
            return entries;
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"'{archivePath}' is not a readable TorchScript archive (not a valid zip: {e.Message}).", nameof(archivePath), e);
        }
    }

    private static ArgumentException TooLarge(string archivePath, string entry, long bytes) => new(
        $"'{archivePath}': entry '{entry}' inflates to {(bytes > MaxSourceEntryBytes ? $"more than {MaxSourceEntryBytes >> 20} MiB" : $"{bytes} bytes, past {MaxSourceTotalBytes >> 20} MiB of source in all")}; " +
        "TorchScript source and data.pkl are a few KiB to a few MiB, so the archive is refused as damaged or hostile. Re-export the model with torch.jit.save.",
        nameof(archivePath));

    // Writes next to the target and moves into place, so a reader never sees half an archive. The debug
    // records of rewritten files are dropped: their source ranges would point into the old text. Entries that are not
    // rewritten are streamed from the original archive, never held whole.
    private static void WriteEntries(string archivePath, string path, Dictionary<string, byte[]> rewritten)
    {
        string full = Path.GetFullPath(path);
        string temporary = full + ".writing-" + Environment.ProcessId;
        using (var source = ZipFile.OpenRead(archivePath))
        using (var zip = ZipFile.Open(temporary, ZipArchiveMode.Create))
        {
            foreach (var original in source.Entries)
            {
                var name = original.FullName;
                if (name.EndsWith(".py.debug_pkl", StringComparison.Ordinal) && rewritten.ContainsKey(name[..^".debug_pkl".Length])) continue;
                var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
                using var stream = entry.Open();
                if (rewritten.TryGetValue(name, out var text))
                {
                    stream.Write(text);
                }
                else
                {
                    using var content = original.Open();
                    content.CopyTo(stream);
                }
            }
        }
        File.Move(temporary, full, overwrite: true);
    }

    // data.pkl starts with PROTO 2 and the GLOBAL opcode naming the root's class: "\x80\x02c<module>\n<name>\n".
    private static string RootClassName(byte[] pickle, string archivePath)
    {
        if (pickle.Length > 3 && pickle[0] == 0x80 && pickle[2] == (byte)'c')
        {
            int moduleEnd = Array.IndexOf(pickle, (byte)'\n', 3);
            int nameEnd = moduleEnd < 0 ? -1 : Array.IndexOf(pickle, (byte)'\n', moduleEnd + 1);
            if (nameEnd > 0)
            {
                string module = Encoding.UTF8.GetString(pickle, 3, moduleEnd - 3);
                string name = Encoding.UTF8.GetString(pickle, moduleEnd + 1, nameEnd - moduleEnd - 1);
                if (module.StartsWith("__torch__", StringComparison.Ordinal)) return $"{module}.{name}";
            }
        }
        throw new ArgumentException($"'{archivePath}': its data.pkl does not name a TorchScript module class; it is not a TorchScript archive PyTorch's torch.jit.save wrote.", nameof(archivePath));
    }

    // The names the rewrite adds must not shadow any name of the model's (a parameter called _tap_t, say).
    private static string UnusedPrefix(IEnumerable<string[]> sources)
    {
        var text = string.Join('\n', sources.Select(lines => string.Join('\n', lines)));
        for (int i = 0; ; i++)
        {
            string prefix = i == 0 ? "_tap_" : $"_tap{i}_";
            if (!text.Contains(prefix, StringComparison.Ordinal)) return prefix;
        }
    }

    [GeneratedRegex(@"^[^/]+/code/(.+)\.py$")]
    private static partial Regex CodeEntry();
}
