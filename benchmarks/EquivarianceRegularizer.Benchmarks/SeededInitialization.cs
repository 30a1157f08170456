namespace EquivarianceRegularizer.Benchmarks;

/// <summary>Generator-seeded parameter initialisation for benchmark models (TorchSharp's nn.init takes no generator).</summary>
internal static class SeededInitialization
{
    /// <summary>
    /// Re-initialises every parameter of <paramref name="module"/> from <paramref name="generator"/> with PyTorch's
    /// default bounds for Linear/Conv (uniform ±1/√fan_in for weight and bias), and returns it, so that a benchmark's
    /// model does not depend on what else drew from the global generator before it.
    /// </summary>
    public static T Seeded<T>(this T module, Generator generator) where T : nn.Module
    {
        using var _ = no_grad();
        var parameters = module.named_parameters().ToList();
        foreach (var (name, p) in parameters)
        {
            if (p.dim() < 1) continue;
            // A bias takes its bound from the fan-in of the weight beside it.
            var weight = name.EndsWith("bias", StringComparison.Ordinal)
                ? parameters.FirstOrDefault(q => q.name == name[..^4] + "weight").parameter
                : p;
            long fanIn = weight is null || weight.dim() < 2 ? p.numel() : weight.numel() / weight.size(0);
            double bound = 1.0 / Math.Sqrt(Math.Max(1, fanIn));
            p.uniform_(-bound, bound, generator);
        }
        return module;
    }
}
