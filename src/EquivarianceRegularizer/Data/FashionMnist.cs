using System.Buffers.Binary;
using System.IO.Compression;

namespace EquivarianceRegularizer.Data;

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
