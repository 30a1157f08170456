using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Checks of a TorchScript file made before libtorch reads it. TorchSharp checks neither CRCs nor sizes, and libtorch
/// reads damaged records as they come, so a damaged file must be stopped here. What this cannot see: code that is
/// intact but does not compile (that needs the model probe, <see cref="ScriptLoadSafety.ChildProcessProbe"/>).
/// </summary>
internal static class TorchScriptArchive
{
    // Code entries are read whole for the class-body check; real ones are a few KiB.
    private const long MaxCodeEntryBytes = 64L << 20;

    /// <summary>
    /// Checks that <paramref name="path"/> is a readable TorchScript archive: an existing file, a zip archive whose
    /// directory and local headers lie inside the file, every entry's sizes consistent and CRC-32 right (deflated
    /// entries are inflated to check), no entry twice, and the layout torch.jit.save writes (one root folder with
    /// data.pkl, constants.pkl and code/). Reads the file once, streaming; never loads it into libtorch.
    /// </summary>
    /// <param name="path">The .pt file.</param>
    /// <returns>The full path that was checked.</returns>
    /// <exception cref="TorchScriptLoadException">The file is missing, is not an archive, is not TorchScript, or is damaged (<see cref="TorchScriptLoadException.Reason"/> says which).</exception>
    public static string Verify(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotFound, $"'{full}' is a directory; give the path of a TorchScript file (.pt) saved by torch.jit.save.", full);
        if (!File.Exists(full))
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotFound, $"TorchScript file '{full}' does not exist; check the path.", full);
        RequireRegularFile(full);

        FileStream file;
        try
        {
            file = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotFound, $"TorchScript file '{full}' cannot be opened: {e.Message}", full, innerException: e);
        }
        using (file)
        {
            CheckSignature(file, full);
            var reader = new ZipDirectoryReader(file, full);
            var entries = reader.ReadEntries();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                if (!names.Add(entry.Name)) throw reader.Corrupt($"entry '{entry.Name}' appears twice");
                CheckContent(file, reader, entry);
            }
            CheckLayout(file, reader, entries, full);
        }
        return full;
    }

    /// <summary>
    /// Refuses what is not an ordinary file before anything opens it: opening a named pipe blocks until a writer comes,
    /// and a device or /proc file reads without end. All of them report a length of 0, as an empty file does, and no
    /// archive is empty, so the length decides without opening the file.
    /// </summary>
    /// <exception cref="TorchScriptLoadException">The file is empty, or a pipe, socket or device.</exception>
    internal static void RequireRegularFile(string full)
    {
        var info = new FileInfo(full);
        if (!info.Exists || info.Length == 0)
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotAnArchive,
                $"'{full}' is empty, or not a regular file (a pipe, socket or device): not a TorchScript archive; give the path of a .pt file saved by torch.jit.save.", full);
    }

    private static void CheckSignature(FileStream file, string path)
    {
        Span<byte> head = stackalloc byte[4];
        int read = file.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (read >= 2 && head[0] == 0x80 && head[1] <= 5)
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotAnArchive,
                $"'{path}' is a Python pickle (a torch.save file), not a TorchScript archive; save the model with torch.jit.save(torch.jit.script(model), path).", path);
        if (read < 4 || head[0] != (byte)'P' || head[1] != (byte)'K' || head[2] != 3 || head[3] != 4)
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotAnArchive,
                $"'{path}' is not a TorchScript archive: it does not start with the zip signature PK\\x03\\x04 (TorchScript files are zip archives written by torch.jit.save).", path);
    }

    // Streams the entry's content through its CRC; a deflated entry is inflated, never to more than its declared size.
    private static void CheckContent(FileStream file, ZipDirectoryReader reader, ZipEntryRecord entry)
    {
        if (entry.Method is not (0 or 8))
            throw reader.Corrupt($"entry '{entry.Name}' uses compression method {entry.Method}, which torch.jit.save never writes");
        if (entry.Method == 0 && entry.CompressedSize != entry.UncompressedSize)
            throw reader.Corrupt($"stored entry '{entry.Name}' has inconsistent sizes ({entry.CompressedSize} vs {entry.UncompressedSize})");
        // Deflate cannot expand data more than about 1032:1; a larger claim is a lie meant to exhaust memory or time.
        if (entry.Method == 8 && entry.UncompressedSize > entry.CompressedSize * 1040 + 1024)
            throw reader.Corrupt($"entry '{entry.Name}' declares an impossible uncompressed size");
        var crc = new Crc32();
        long total = 0;
        var buffer = new byte[1 << 16];
        file.Position = entry.DataOffset;
        using var raw = new BoundedReadStream(file, entry.CompressedSize);
        using Stream content = entry.Method == 8 ? new DeflateStream(raw, CompressionMode.Decompress, leaveOpen: true) : raw;
        try
        {
            int n;
            while ((n = content.Read(buffer, 0, buffer.Length)) > 0)
            {
                total += n;
                if (total > entry.UncompressedSize) throw reader.Corrupt($"entry '{entry.Name}' holds more data than its declared {entry.UncompressedSize} bytes");
                crc.Append(buffer.AsSpan(0, n));
            }
        }
        catch (InvalidDataException e)
        {
            throw reader.Corrupt($"entry '{entry.Name}' cannot be inflated ({e.Message})");
        }
        if (total != entry.UncompressedSize)
            throw reader.Corrupt($"entry '{entry.Name}' holds {total} bytes but declares {entry.UncompressedSize}");
        uint actual = crc.GetCurrentHashAsUInt32();
        if (actual != entry.Crc)
            throw reader.Corrupt($"entry '{entry.Name}' fails its CRC-32 check (recorded 0x{entry.Crc:x8}, computed 0x{actual:x8})");
    }

    private static void CheckLayout(FileStream file, ZipDirectoryReader reader, List<ZipEntryRecord> entries, string path)
    {
        if (entries.Count == 0) throw reader.Corrupt("it holds no entries");
        int slash = entries[0].Name.IndexOf('/', StringComparison.Ordinal);
        string root = slash < 0 ? "" : entries[0].Name[..(slash + 1)];
        if (root.Length == 0 || entries.Any(e => !e.Name.StartsWith(root, StringComparison.Ordinal)))
            throw reader.Corrupt("its entries do not share one root folder, as torch.jit.save writes them");
        var code = entries.Where(e => e.Name.StartsWith(root + "code/", StringComparison.Ordinal)).ToList();
        bool hasData = entries.Any(e => e.Name == root + "data.pkl");
        if (code.Count == 0)
            throw new TorchScriptLoadException(TorchScriptLoadFailure.NotTorchScript, hasData
                ? $"'{path}' holds tensors but no TorchScript code: it is a torch.save file (e.g. a state dict), not a model; save the model with torch.jit.save(torch.jit.script(model), path)."
                : $"'{path}' is a zip archive without TorchScript code (no code/ folder); save the model with torch.jit.save(torch.jit.script(model), path).", path);
        if (!hasData) throw reader.Corrupt("it lacks data.pkl (the module's state)");
        if (!entries.Any(e => e.Name == root + "constants.pkl")) throw reader.Corrupt("it lacks constants.pkl");
        foreach (var entry in code.Where(e => e.Name.EndsWith(".py", StringComparison.Ordinal) && e.UncompressedSize <= MaxCodeEntryBytes))
            ModuleClassBodyCheck.Check(entry.Name[root.Length..], ReadText(file, entry), reader);
    }

    private static string ReadText(FileStream file, ZipEntryRecord entry)
    {
        file.Position = entry.DataOffset;
        using var raw = new BoundedReadStream(file, entry.CompressedSize);
        using Stream content = entry.Method == 8 ? new DeflateStream(raw, CompressionMode.Decompress, leaveOpen: true) : raw;
        using var text = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return text.ReadToEnd();
    }
}
