namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    /// <summary>Neural-network building blocks, as torch.nn: module factories, <see cref="nn.functional"/>, losses.</summary>
    public static partial class nn
    {
    }
}
