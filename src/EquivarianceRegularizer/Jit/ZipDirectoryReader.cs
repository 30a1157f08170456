using System.Buffers.Binary;
using System.Text;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Reads a zip file's central directory and checks that every entry it lists lies inside the file behind a valid
/// local header (a port of the former native ZipVerifier, src/native/jit.cpp at a3082e2). Throws
/// <see cref="TorchScriptLoadException"/> naming the defect; never reads outside the file.
/// </summary>
internal sealed class ZipDirectoryReader
{
    private const uint EndOfDirectorySignature = 0x06054b50u;
    private const uint Zip64LocatorSignature = 0x07064b50u;
    private const uint Zip64EndSignature = 0x06064b50u;
    private const uint CentralHeaderSignature = 0x02014b50u;
    private const uint LocalHeaderSignature = 0x04034b50u;
    // The end record (22 bytes) is followed by a comment of at most 65535 bytes.
    private const int EndRecordSearchWindow = 22 + 65535;

    private readonly FileStream _file;
    private readonly string _path;

    public ZipDirectoryReader(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    /// <summary>The entries of the central directory, in order, each located and bounds-checked.</summary>
    public List<ZipEntryRecord> ReadEntries()
    {
        long size = _file.Length;
        if (size < 22) throw NotAnArchive($"it is too short to be a zip archive ({size} bytes)");
        int window = (int)Math.Min(size, EndRecordSearchWindow);
        var tail = ReadAt(size - window, window);
        int end = -1;
        for (int i = window - 22; i >= 0; i--)
        {
            if (U32(tail, i) == EndOfDirectorySignature) { end = i; break; }
        }
        if (end < 0) throw NotAnArchive("its end-of-central-directory record is missing (the file is truncated or not a zip archive)");

        long entries = U16(tail, end + 10);
        long directorySize = U32(tail, end + 12);
        long directoryOffset = U32(tail, end + 16);
        if (entries == 0xFFFF || directorySize == 0xFFFFFFFFL || directoryOffset == 0xFFFFFFFFL)
        {
            long endAbsolute = size - window + end;
            if (endAbsolute < 20) throw Corrupt("its zip64 locator is missing");
            var locator = ReadAt(endAbsolute - 20, 20);
            if (U32(locator, 0) != Zip64LocatorSignature) throw Corrupt("its zip64 locator is missing");
            long recordOffset = U64(locator, 8);
            var record = ReadAt(recordOffset, 56);
            if (U32(record, 0) != Zip64EndSignature) throw Corrupt("its zip64 end-of-central-directory record is invalid");
            entries = U64(record, 32);
            directorySize = U64(record, 40);
            directoryOffset = U64(record, 48);
        }
        if (directoryOffset < 0 || directorySize < 0 || directoryOffset > size || directorySize > size - directoryOffset)
            throw Corrupt("its central directory lies outside the file (truncated?)");
        // Each central header takes at least 46 bytes: a count the directory cannot hold is a lie, not a big archive.
        if (entries < 0 || entries > directorySize / 46) throw Corrupt($"its central directory cannot hold the {entries} entries it declares");

        var directory = ReadAt(directoryOffset, checked((int)directorySize));
        var result = new List<ZipEntryRecord>((int)entries);
        int pos = 0;
        for (long k = 0; k < entries; k++)
        {
            if (pos + 46 > directory.Length || U32(directory, pos) != CentralHeaderSignature) throw Corrupt("its central directory is malformed");
            int method = U16(directory, pos + 10);
            uint crc = U32(directory, pos + 16);
            long compressed = U32(directory, pos + 20);
            long uncompressed = U32(directory, pos + 24);
            int nameLength = U16(directory, pos + 28), extraLength = U16(directory, pos + 30), commentLength = U16(directory, pos + 32);
            long local = U32(directory, pos + 42);
            if (pos + 46 + nameLength + extraLength + commentLength > directory.Length) throw Corrupt("its central directory is malformed");
            int nameStart = pos + 46;
            string name = Encoding.UTF8.GetString(directory, nameStart, nameLength);
            ReadZip64Extra(directory, pos + 46 + nameLength, extraLength, name, ref uncompressed, ref compressed, ref local);
            pos += 46 + nameLength + extraLength + commentLength;

            if (local < 0 || local > size || size - local < 30) throw Corrupt($"entry '{name}' points outside the file (truncated?)");
            var header = ReadAt(local, 30);
            if (U32(header, 0) != LocalHeaderSignature) throw Corrupt($"entry '{name}' has no valid local header");
            // torch.jit.save writes each name twice; libtorch finds records by the directory's copy. A copy that differs
            // is damage (one flipped bit in a directory name made libtorch 2.10 abort: fuzz seed 2, #638).
            int localNameLength = U16(header, 26);
            if (localNameLength != nameLength || !ReadAt(local + 30, localNameLength).AsSpan().SequenceEqual(directory.AsSpan(nameStart, nameLength)))
                throw Corrupt($"entry '{name}' has another name in its local header: the archive's directory is damaged");
            long data = local + 30 + localNameLength + U16(header, 28);
            if (compressed < 0 || uncompressed < 0 || data > size || compressed > size - data)
                throw Corrupt($"entry '{name}' extends past the end of the file (truncated?)");
            result.Add(new ZipEntryRecord(name, method, crc, compressed, uncompressed, data));
        }
        return result;
    }

    /// <summary>Reads <paramref name="count"/> bytes at <paramref name="offset"/>, which the caller has bounds-checked.</summary>
    public byte[] ReadAt(long offset, int count)
    {
        if (offset < 0 || count < 0 || offset > _file.Length || count > _file.Length - offset) throw Corrupt("a record lies outside the file (truncated?)");
        var buffer = new byte[count];
        _file.Position = offset;
        _file.ReadExactly(buffer);
        return buffer;
    }

    // Zip64 extra field (id 1): the 64-bit values present are those whose 32-bit fields are saturated, in this order.
    private void ReadZip64Extra(byte[] directory, int start, int length, string name, ref long uncompressed, ref long compressed, ref long local)
    {
        int e = start, stop = start + length;
        while (e + 4 <= stop)
        {
            int id = U16(directory, e), size = U16(directory, e + 2);
            if (e + 4 + size > stop) throw Corrupt($"entry '{name}' has a malformed extra field");
            if (id == 1)
            {
                int q = e + 4, fieldEnd = e + 4 + size;
                Take(ref uncompressed);
                Take(ref compressed);
                Take(ref local);

                void Take(ref long field)
                {
                    if (field != 0xFFFFFFFFL) return;
                    if (q + 8 > fieldEnd) throw Corrupt($"entry '{name}' has a malformed zip64 field");
                    field = U64(directory, q);
                    q += 8;
                }
            }
            e += 4 + size;
        }
    }

    public TorchScriptLoadException Corrupt(string why) =>
        new(TorchScriptLoadFailure.Corrupt, $"'{_path}' is a damaged TorchScript archive: {why}. Export the model again (torch.jit.save) or copy the file again.", _path);

    private TorchScriptLoadException NotAnArchive(string why) =>
        new(TorchScriptLoadFailure.NotAnArchive, $"'{_path}' is not a TorchScript archive: {why}. TorchScript files are zip archives written by torch.jit.save.", _path);

    private static int U16(byte[] b, int i) => BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(i));
    private static uint U32(byte[] b, int i) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(i));
    // A 64-bit size beyond long.MaxValue is reported as negative, which every bounds check above rejects.
    private static long U64(byte[] b, int i) => unchecked((long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(i)));
}
