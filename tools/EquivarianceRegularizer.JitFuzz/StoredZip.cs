using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace EquivarianceRegularizer.JitFuzz;

/// <summary>Reads a zip archive's entries and writes stored (uncompressed) archives with correct CRC-32s, as torch.jit.save does.</summary>
public static class StoredZip
{
    /// <summary>The entries (name, content) of <paramref name="archive"/>, in order.</summary>
    public static List<(string Name, byte[] Data)> ReadEntries(byte[] archive)
    {
        using var stream = new MemoryStream(archive, writable: false);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
        var entries = new List<(string, byte[])>();
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            using var copy = new MemoryStream();
            s.CopyTo(copy);
            entries.Add((e.FullName, copy.ToArray()));
        }
        return entries;
    }

    /// <summary>A stored archive of <paramref name="entries"/> with correct CRC-32s.</summary>
    public static byte[] Write(IReadOnlyList<(string Name, byte[] Data)> entries)
    {
        using var output = new MemoryStream();
        var offsets = new List<long>();
        foreach (var (name, data) in entries)
        {
            offsets.Add(output.Position);
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var header = new byte[30].AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 20);           // version needed
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 0);            // method: stored
            BinaryPrimitives.WriteUInt32LittleEndian(header[14..], Crc32.HashToUInt32(data));
            BinaryPrimitives.WriteUInt32LittleEndian(header[18..], (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[22..], (uint)data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameBytes.Length);
            output.Write(header);
            output.Write(nameBytes);
            output.Write(data);
        }
        long centralStart = output.Position;
        for (int i = 0; i < entries.Count; i++)
        {
            var (name, data) = entries[i];
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var header = new byte[46].AsSpan();
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014b50);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 20);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 20);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32.HashToUInt32(data));
            BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)data.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)data.Length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)nameBytes.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[42..], (uint)offsets[i]);
            output.Write(header);
            output.Write(nameBytes);
        }
        long centralSize = output.Position - centralStart;
        Span<byte> end = stackalloc byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end[8..], (ushort)entries.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(end[10..], (ushort)entries.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)centralSize);
        BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)centralStart);
        output.Write(end);
        return output.ToArray();
    }
}
