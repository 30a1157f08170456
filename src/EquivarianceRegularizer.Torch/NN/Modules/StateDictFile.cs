using System.Runtime.InteropServices;
using System.Text;

namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// Reads and writes a dictionary of named tensors (a module's state_dict) in a small self-describing binary format.
/// All integers are little-endian:
/// <code>
/// magic   8 bytes  "ERTSTATE"
/// version int32    1
/// count   int32    number of entries
/// entry × count:
///   name_length int32, name (UTF-8 bytes)
///   dtype       int32 (c10::ScalarType code, see <see cref="ScalarType"/>)
///   ndim        int32, then ndim × int64 sizes
///   byte_count  int64, then the elements, row-major and contiguous, little-endian (the byte order of the x86-64
///               and ARM64 machines this runs on)
/// </code>
/// tests/fixtures/nn/make_nn_fixtures.py writes the same format from Python.
/// </summary>
public static class StateDictFile
{
    private static readonly byte[] Magic = "ERTSTATE"u8.ToArray();
    private const int Version = 1;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> (entries in the dictionary's order).</summary>
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.Create(path);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(Magic);
        w.Write(Version);
        w.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, $"{nameof(tensors)}['{name}']");
            var nameBytes = Encoding.UTF8.GetBytes(name);
            w.Write(nameBytes.Length);
            w.Write(nameBytes);
            var dtype = tensor.dtype;
            w.Write((int)dtype);
            var shape = tensor.shape;
            w.Write(shape.Length);
            foreach (var s in shape) w.Write(s);
            var bytes = RawBytes(tensor, dtype);
            w.Write((long)bytes.Length);
            w.Write(bytes);
        }
    }

    /// <summary>
    /// Reads a file written by <see cref="Save"/>. The caller owns the returned tensors (they are detached from any
    /// dispose scope). Throws <see cref="InvalidDataException"/> naming the file and entry when the file is malformed.
    /// </summary>
    public static Dictionary<string, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"State-dict file '{path}' does not exist.", path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            using var stream = File.OpenRead(path);
            using var r = new BinaryReader(stream, Encoding.UTF8);
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"'{path}' is not a state-dict file (bad magic).");
            int version = r.ReadInt32();
            if (version != Version) throw new InvalidDataException($"'{path}' has format version {version}; this reader understands {Version}.");
            int count = r.ReadInt32();
            if (count < 0) throw new InvalidDataException($"'{path}' declares {count} entries.");
            for (int e = 0; e < count; e++)
            {
                int nameLength = r.ReadInt32();
                if (nameLength <= 0 || nameLength > 4096) throw new InvalidDataException($"'{path}': entry {e} has a name length of {nameLength}.");
                string name = Encoding.UTF8.GetString(r.ReadBytes(nameLength));
                if (result.ContainsKey(name)) throw new InvalidDataException($"'{path}': key '{name}' appears twice.");
                var dtype = (ScalarType)r.ReadInt32();
                if (!Enum.IsDefined(dtype)) throw new InvalidDataException($"'{path}': key '{name}' has unknown dtype code {(int)dtype}.");
                int ndim = r.ReadInt32();
                if (ndim < 0 || ndim > 64) throw new InvalidDataException($"'{path}': key '{name}' has {ndim} dimensions.");
                var shape = new long[ndim];
                long numel = 1;
                for (int d = 0; d < ndim; d++)
                {
                    shape[d] = r.ReadInt64();
                    if (shape[d] < 0) throw new InvalidDataException($"'{path}': key '{name}' has a negative size.");
                    // Checked: sizes whose product wraps around could otherwise match a small byte count.
                    numel = numel == 0 || shape[d] <= long.MaxValue / numel ? numel * shape[d]
                        : throw new InvalidDataException($"'{path}': key '{name}' has sizes whose product overflows.");
                }
                long byteCount = r.ReadInt64();
                long expected = numel <= long.MaxValue / 8 ? numel * ElementSize(dtype)
                    : throw new InvalidDataException($"'{path}': key '{name}' has sizes whose byte count overflows.");
                if (byteCount > r.BaseStream.Length - r.BaseStream.Position)
                    throw new InvalidDataException($"'{path}': key '{name}' declares {byteCount} bytes but the file ends before them (truncated?).");
                if (byteCount != expected)
                    throw new InvalidDataException($"'{path}': key '{name}' holds {byteCount} bytes; dtype {dtype} and shape [{string.Join(", ", shape)}] need {expected}.");
                var raw = r.ReadBytes(checked((int)byteCount));
                if (raw.Length != byteCount) throw new InvalidDataException($"'{path}': key '{name}' is truncated.");
                result[name] = FromBytes(raw, dtype, shape).DetachFromDisposeScope();
            }
        }
        catch (Exception ex) when (ex is EndOfStreamException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new InvalidDataException($"'{path}' ends before its last entry.", ex);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Bool => 1,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new NotSupportedException($"No element size known for dtype {dtype}."),
    };

    private static byte[] RawBytes(Tensor t, ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => MemoryMarshal.AsBytes<float>(t.data<float>()).ToArray(),
        ScalarType.Float64 => MemoryMarshal.AsBytes<double>(t.data<double>()).ToArray(),
        ScalarType.Int64 => MemoryMarshal.AsBytes<long>(t.data<long>()).ToArray(),
        ScalarType.Int32 => MemoryMarshal.AsBytes<int>(t.data<int>()).ToArray(),
        ScalarType.Byte => t.data<byte>(),
        ScalarType.Bool => MemoryMarshal.AsBytes<bool>(t.data<bool>()).ToArray(),
        _ => throw new NotSupportedException($"Cannot save a tensor of dtype {dtype}."),
    };

    private static Tensor FromBytes(byte[] raw, ScalarType dtype, long[] shape) => dtype switch
    {
        ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(raw).ToArray(), shape),
        ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(raw).ToArray(), shape),
        ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(raw).ToArray(), shape),
        ScalarType.Int32 => torch.tensor(MemoryMarshal.Cast<byte, int>(raw).ToArray(), shape),
        ScalarType.Byte => torch.tensor(raw, shape),
        ScalarType.Bool => torch.tensor(MemoryMarshal.Cast<byte, bool>(raw).ToArray(), shape),
        _ => throw new NotSupportedException($"Cannot load a tensor of dtype {dtype}."),
    };
}
