using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>
/// Point cloud (batch, points, d) → one d-vector: Σ_i x_i · tanh(a·|x_i| + b) + c·x̄ — rotation equivariant for any a, b, c.
/// With <c>linear</c> set it instead returns x̄ W for a fixed non-commuting W (not equivariant).
/// </summary>
internal sealed class VectorNeuron : nn.Module<Tensor, Tensor>
{
    private readonly bool _linear;

    public VectorNeuron(int d, bool linear = false) : base("VectorNeuron")
    {
        _linear = linear;
        register_parameter("a", (tensor(new float[] { 0.7f })).AsModuleParameter());
        register_parameter("b", (tensor(new float[] { -0.2f })).AsModuleParameter());
        register_parameter("c", (tensor(new float[] { 0.3f })).AsModuleParameter());
        register_parameter("w", tensor(Enumerable.Range(0, d * d).Select(i => (float)(0.3 * i - 0.5)).ToArray(), new long[] { d, d }).AsModuleParameter());
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var mean = input.mean(new long[] { 1 });
        if (_linear) return mean.matmul(get_parameter("w")!).MoveToOuterDisposeScope();
        var norm = input.square().sum(-1, keepdim: true).add(1e-9).sqrt();
        var gate = (norm * get_parameter("a")! + get_parameter("b")!).tanh();
        return ((input * gate).sum(1) + mean * get_parameter("c")!).MoveToOuterDisposeScope();
    }
}

/// <summary>Intensity centroid of an N×1×H×W image in pixels, (x right, y up) about the image centre: a 2-vector.</summary>
internal sealed class CentroidModel() : nn.Module<Tensor, Tensor>("CentroidModel")
{
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long h = input.size(2), w = input.size(3);
        var xs = (arange(0, w, dtype: input.dtype) - (w - 1) / 2.0).view(1, 1, 1, w);
        var ys = ((h - 1) / 2.0 - arange(0, h, dtype: input.dtype)).view(1, 1, h, 1);
        var mass = input.sum(new long[] { 1, 2, 3 });
        var cx = (input * xs).sum(new long[] { 1, 2, 3 }) / mass;
        var cy = (input * ys).sum(new long[] { 1, 2, 3 }) / mass;
        return stack(new[] { cx, cy }, 1).MoveToOuterDisposeScope();
    }
}
