namespace EquivarianceRegularizer.Sampling;

/// <summary>
/// Refuses tensors that cannot fit in memory before libtorch is asked for them: a failed native allocation throws
/// std::bad_alloc, which TorchSharp 0.107's native layer does not catch, so the process would end instead of the call.
/// </summary>
internal static class AllocationGuard
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> (naming <paramref name="argumentName"/>) when a tensor of
    /// <paramref name="shape"/> in <paramref name="dtype"/>, times <paramref name="copies"/> working copies, would need
    /// more than half of the memory available to this process.
    /// </summary>
    public static void EnsureFits(IReadOnlyList<long> shape, ScalarType dtype, string argumentName, int copies = 4)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"{argumentName}: dimensions must be non-negative, got [{string.Join(", ", shape)}].", argumentName);
            if (d != 0 && elements > long.MaxValue / d)
                throw new ArgumentException($"{argumentName}: a tensor of shape [{string.Join(", ", shape)}] has more elements than can be counted; use a smaller shape or fewer samples.", argumentName);
            elements *= d;
        }
        double bytes = (double)elements * dtype.ElementSize() * Math.Max(1, copies);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available / 2.0)
            throw new ArgumentException(
                $"{argumentName}: a tensor of shape [{string.Join(", ", shape)}] ({dtype}) needs about {bytes / (1 << 20):F0} MiB with its working copies, more than half of the {available / (1 << 20)} MiB this process can use; use a smaller shape or fewer samples.",
                argumentName);
    }
}
