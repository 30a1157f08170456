namespace EquivarianceRegularizer.Data;

/// <summary>
/// Inputs from a file: one tensor in TorchSharp's own format (<c>Tensor.Save</c> / <c>torch.load</c>), batch first.
/// The format is a 7-bit-encoded (LEB128) dtype code, rank and sizes, then the elements in C order, little-endian. From
/// Python (PyTorch or NumPy), <c>tools/eqv_inputs.py</c> writes it:
/// <code>/usr/bin/python3 tools/eqv_inputs.py images.pt inputs.tensor   # a torch.save'd tensor or a .npy array</code>
/// The header is checked before TorchSharp reads the file, so a truncated or foreign file is a clear error, never a
/// huge allocation.
/// </summary>
internal static class TensorFile
{
    /// <summary>Reads a floating-point tensor of rank 2 or more (batch first).</summary>
    /// <exception cref="InvalidDataException">Not a tensor file of that kind; the message names the file and what to do.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static Tensor Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new FileNotFoundException($"inputs file '{path}' is a directory, not a tensor file.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"inputs file '{path}' not found.", path);
        long length = new FileInfo(path).Length;
        string how = "write it with tools/eqv_inputs.py (from a torch.save'd tensor or a .npy array) or TorchSharp's Tensor.Save";
        using (var stream = File.OpenRead(path))
        {
            long code = Leb128(stream, path, how);
            var dtype = (ScalarType)code;
            if (dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
                throw new InvalidDataException($"inputs file '{path}' holds no floating-point tensor (dtype code {code}); {how}.");
            long rank = Leb128(stream, path, how);
            if (rank < 2 || rank > 8)
                throw new InvalidDataException($"inputs file '{path}' holds a tensor of rank {rank}; the inputs need a batch axis and at least one more (N,C,H,W for images); {how}.");
            long elements = 1;
            var shape = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                shape[i] = Leb128(stream, path, how);
                if (shape[i] < 1) throw new InvalidDataException($"inputs file '{path}' has an empty axis (shape [{string.Join(",", shape.Take(i + 1))}]).");
                elements = checked(elements * shape[i]);
            }
            long expected = stream.Position + elements * dtype.ElementSize();
            if (expected != length)
                throw new InvalidDataException($"inputs file '{path}' is {length} bytes; a [{string.Join(",", shape)}] {dtype} tensor needs {expected}: the file is truncated or not a tensor file; {how}.");
        }
        var t = Tensor.Load(path);
        if (!t.all_finite())
        {
            t.Dispose();
            throw new InvalidDataException($"inputs file '{path}' contains NaN or infinite values; equivariance cannot be judged on them (clean the data first).");
        }
        return t;
    }

    private static long Leb128(Stream s, string path, string how)
    {
        long value = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            int b = s.ReadByte();
            if (b < 0) throw new InvalidDataException($"inputs file '{path}' ends inside its header: not a tensor file; {how}.");
            value |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new InvalidDataException($"inputs file '{path}' has an unreadable header: not a tensor file; {how}.");
    }
}
