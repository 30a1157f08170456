using TorchSharp;
using static TorchSharp.torch;

namespace FashionMnistRotation;

/// <summary>Conv(1→16) BN ReLU MaxPool, Conv(16→32) BN ReLU MaxPool, Linear(32·7·7 → 10).</summary>
internal static class SmallCnn
{
    public static nn.Module<Tensor, Tensor> Create(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding: 1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding: 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10));
    }
}
