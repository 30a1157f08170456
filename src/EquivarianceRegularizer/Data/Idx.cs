using System.Buffers.Binary;
using System.IO.Compression;

namespace EquivarianceRegularizer.Data;

/// <summary>Reads IDX files (the MNIST / Fashion-MNIST format), optionally gzip-compressed.</summary>
internal static class Idx
{
    /// <summary>Reads an IDX file of unsigned bytes: (dimensions, data).</summary>
    public static (int[] shape, byte[] data) ReadBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"IDX file not found: {path}", path);
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        Span<byte> header = stackalloc byte[4];
        stream.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0)
            throw new InvalidDataException($"{path} is not an IDX file (bad magic).");
        if (header[2] != 0x08)
            throw new InvalidDataException($"{path}: only unsigned-byte IDX data (type 0x08) is supported, found 0x{header[2]:x2}.");
        int ndim = header[3];
        if (ndim is < 1 or > 4) throw new InvalidDataException($"{path}: unsupported number of dimensions {ndim}.");
        var shape = new int[ndim];
        Span<byte> dim = stackalloc byte[4];
        long count = 1;
        for (int i = 0; i < ndim; i++)
        {
            stream.ReadExactly(dim);
            shape[i] = BinaryPrimitives.ReadInt32BigEndian(dim);
            if (shape[i] < 0) throw new InvalidDataException($"{path}: negative dimension.");
            count *= shape[i];
        }
        if (count > int.MaxValue) throw new InvalidDataException($"{path}: too large ({count} elements).");
        var data = new byte[count];
        try { stream.ReadExactly(data); }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path} is truncated: expected {count} data bytes.", e); }
        return (shape, data);
    }
}
