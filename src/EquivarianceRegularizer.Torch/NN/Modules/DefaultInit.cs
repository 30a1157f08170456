namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>PyTorch's default initialisation of Linear and Conv layers, shared by both.</summary>
internal static class DefaultInit
{
    /// <summary>
    /// Registers "weight" of <paramref name="weightShape"/> drawn kaiming-uniform with a = √5, and "bias" (size
    /// weightShape[0], or null without bias) drawn from U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    public static void RegisterWeightAndBias(torch.nn.Module module, long[] weightShape, bool hasBias, ScalarType? dtype, Generator? generator)
    {
        var w = torch.zeros(weightShape, dtype);
        torch.nn.init.kaiming_uniform_(w, Math.Sqrt(5), generator: generator);
        module.register_parameter("weight", w);
        if (!hasBias)
        {
            module.register_parameter("bias", null);
            return;
        }
        var (fanIn, _) = torch.nn.init.calculate_fan_in_and_fan_out(w);
        var b = torch.zeros(new[] { weightShape[0] }, dtype);
        double bound = 1 / Math.Sqrt(fanIn);
        torch.nn.init.uniform_(b, -bound, bound, generator);
        module.register_parameter("bias", b);
    }
}
