namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// grid_sample with every interpolation the library offers. TorchSharp 0.107's <c>nn.functional.grid_sample</c>
/// maps only nearest and bilinear (its native layer leaves bicubic out), so bicubic goes through libtorch's own
/// <c>aten::grid_sampler</c> from a small compiled TorchScript function (interpolation code 2 = bicubic).
/// </summary>
internal static class GridSampling
{
    private const string BicubicSource = """
        def grid_sample_bicubic(x: Tensor, grid: Tensor, padding: int, align_corners: bool) -> Tensor:
            return torch.grid_sampler(x, grid, 2, padding, align_corners)
        """;

    private static readonly Lazy<jit.CompilationUnit> Bicubic = new(() => Jit.TorchScriptLoader.CompileLibrarySource(BicubicSource), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Samples <paramref name="x"/> (N,C,H,W) at <paramref name="grid"/> (N,H',W',2, normalised coordinates).</summary>
    public static Tensor Sample(Tensor x, Tensor grid, Interpolation mode, GridSamplePaddingMode padding, bool alignCorners) => mode switch
    {
        Interpolation.Bilinear => nn.functional.grid_sample(x, grid, GridSampleMode.Bilinear, padding, alignCorners),
        Interpolation.Nearest => nn.functional.grid_sample(x, grid, GridSampleMode.Nearest, padding, alignCorners),
        // aten::grid_sampler's padding codes: 0 zeros, 1 border, 2 reflection.
        Interpolation.Bicubic => (Tensor)Bicubic.Value.invoke("grid_sample_bicubic", x, grid, (long)PaddingCode(padding), alignCorners),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown interpolation: expected Bilinear, Nearest or Bicubic."),
    };

    private static int PaddingCode(GridSamplePaddingMode padding) => padding switch
    {
        GridSamplePaddingMode.Zeros => 0,
        GridSamplePaddingMode.Border => 1,
        GridSamplePaddingMode.Reflection => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(padding), padding, "Unknown grid padding."),
    };
}
