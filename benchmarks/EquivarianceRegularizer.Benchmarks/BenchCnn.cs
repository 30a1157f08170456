using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>The example's CNN (examples/FashionMnistRotation): Conv-BN-ReLU-Pool ×2, Linear → 10 classes.</summary>
internal static class BenchCnn
{
    public static nn.Module<Tensor, Tensor> Create()
    {
        manual_seed(1);
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10));
    }

    /// <summary>
    /// The Lie benchmarks' CNN (Fashion-MNIST-sized): conv-relu-maxpool ×2, conv-relu, global average pool, linear; in eval
    /// mode, its weights drawn from <paramref name="generator"/>.
    /// </summary>
    public static nn.Module<Tensor, Tensor> LieCnn(Generator generator)
    {
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 16, 3, padding: 1).Seeded(generator)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
            ("conv2", nn.Conv2d(16, 32, 3, padding: 1).Seeded(generator)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
            ("conv3", nn.Conv2d(32, 32, 3, padding: 1).Seeded(generator)), ("relu3", nn.ReLU()),
            ("gap", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("fc", nn.Linear(32, 10).Seeded(generator)));
        model.eval();
        return model;
    }

    public static EquivarianceTerm[] FourInvariances() => new[]
    {
        EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(Flip.Horizontal()),
        EquivarianceTerm.Invariant(Flip.Vertical()), EquivarianceTerm.Invariant(new DihedralTransform()),
    };
}
