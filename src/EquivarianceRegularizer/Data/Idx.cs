using System.Buffers.Binary;
using System.IO.Compression;

namespace EquivarianceRegularizer.Data;

/// <summary>Reads IDX files (the MNIST / Fashion-MNIST format), optionally gzip-compressed.</summary>
public static class Idx
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

/// <summary>The Fashion-MNIST data set from IDX files (Debian package dataset-fashion-mnist).</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist installs the files.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The ten class names, by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    /// <summary>
    /// Loads the training or test split: images N×1×28×28 float32 in [0, 1] and labels int64 (N).
    /// <paramref name="limit"/> keeps the first examples only.
    /// </summary>
    public static (Tensor images, Tensor labels) Load(bool train, int? limit = null, string directory = DebianDirectory)
    {
        string prefix = train ? "train" : "t10k";
        string images = Path.Combine(directory, $"{prefix}-images-idx3-ubyte.gz");
        string labels = Path.Combine(directory, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images))
            throw new FileNotFoundException($"Fashion-MNIST not found at {images}; install it with 'apt-get install dataset-fashion-mnist'.", images);
        var (ishape, ibytes) = Idx.ReadBytes(images);
        var (lshape, lbytes) = Idx.ReadBytes(labels);
        if (ishape.Length != 3 || lshape.Length != 1 || ishape[0] != lshape[0])
            throw new InvalidDataException($"Unexpected Fashion-MNIST shapes: images [{string.Join(",", ishape)}], labels [{string.Join(",", lshape)}].");
        int n = limit is { } l ? Math.Min(Math.Max(l, 0), ishape[0]) : ishape[0];
        int hw = ishape[1] * ishape[2];
        var pixels = new float[(long)n * hw];
        for (long i = 0; i < pixels.Length; i++) pixels[i] = ibytes[i] / 255f;
        var y = new long[n];
        for (int i = 0; i < n; i++) y[i] = lbytes[i];
        return (tensor(pixels, new long[] { n, 1, ishape[1], ishape[2] }), tensor(y));
    }
}
