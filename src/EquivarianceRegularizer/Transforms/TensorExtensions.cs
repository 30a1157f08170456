
namespace EquivarianceRegularizer.Transforms;

internal static class TensorExtensions
{
    /// <summary>A new handle to the same tensor (so callers may dispose the result independently).</summary>
    public static Tensor alias(this Tensor x) => x.view(x.shape);
}
