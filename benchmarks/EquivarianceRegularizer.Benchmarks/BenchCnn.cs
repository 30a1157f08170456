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

    public static EquivarianceTerm[] FourInvariances() => new[]
    {
        EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(Flip.Horizontal()),
        EquivarianceTerm.Invariant(Flip.Vertical()), EquivarianceTerm.Invariant(new DihedralTransform()),
    };
}
