using System.IO.Compression;
using EquivarianceRegularizer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnistRotation;

/// <summary>
/// Fashion-MNIST through TorchVision's <c>torchvision.datasets.FashionMNIST(root, train)</c> (TorchVision 0.107), for
/// comparison with the library's reader (<see cref="FashionMnist.Load"/>). TorchVision reads uncompressed IDX files from
/// <c>root/fashion-mnist/test_data/</c> and makes one tensor per image scaled by 1/256; Debian installs the .gz files, so
/// this decompresses them once into a cache folder and stacks the images into one N×1×28×28 tensor.
/// </summary>
internal static class TorchVisionFashionMnist
{
    /// <summary>Where the decompressed copy goes (TorchVision's layout below it).</summary>
    public static string CacheRoot { get; } = Path.Combine(Path.GetTempPath(), "fashion-mnist-torchvision");

    /// <summary>Images N×1×28×28 float32 in [0, 255/256] and labels int64 (N); <paramref name="limit"/> keeps the first ones.</summary>
    public static (Tensor images, Tensor labels) Load(bool train, int? limit, string debianDirectory = FashionMnist.DebianDirectory)
    {
        string target = Path.Combine(CacheRoot, "fashion-mnist", "test_data");
        string prefix = train ? "train" : "t10k";
        foreach (string kind in new[] { "images-idx3-ubyte", "labels-idx1-ubyte" })
            Decompress(Path.Combine(debianDirectory, $"{prefix}-{kind}.gz"), Path.Combine(target, $"{prefix}-{kind}"));

        using var scope = NewDisposeScope();
        using var dataset = torchvision.datasets.FashionMNIST(CacheRoot, train);
        long n = limit is { } l ? Math.Clamp(l, 0, dataset.Count) : dataset.Count;
        var images = new Tensor[n];
        var labels = new Tensor[n];
        for (long i = 0; i < n; i++)
        {
            var item = dataset.GetTensor(i);
            images[i] = item["data"];
            labels[i] = item["label"];
        }
        // GetTensor gives 1×28×28 images and scalar labels: one batch tensor each, as the library's reader returns.
        var x = stack(images).MoveToOuterDisposeScope();
        var y = stack(labels).MoveToOuterDisposeScope();
        return (x, y);
    }

    private static void Decompress(string gz, string destination)
    {
        if (File.Exists(destination)) return;
        if (!File.Exists(gz))
            throw new FileNotFoundException($"Fashion-MNIST not found at {gz}; install it with 'apt-get install dataset-fashion-mnist'.", gz);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        // Write a new file and move it into place, so an interrupted run leaves no truncated copy behind.
        string partial = destination + ".partial";
        using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var output = File.Create(partial))
            input.CopyTo(output);
        File.Move(partial, destination, overwrite: true);
    }
}
