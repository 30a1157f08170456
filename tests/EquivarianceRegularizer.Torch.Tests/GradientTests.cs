using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;
using F = EquivarianceRegularizer.Torch.torch.nn.functional;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>Reverse-mode gradients of differentiable ops against float64 central finite differences.</summary>
public class GradientTests
{
    private static Tensor S(params long[] shape) => GradCheck.Smooth(shape);
    private static Tensor S2(params long[] shape) => GradCheck.Smooth(shape, seed: 5);
    private static Tensor Positive(params long[] shape) { using var s = GradCheck.Smooth(shape, seed: 3); using var a = s.abs(); return a + 0.3; }

    private static readonly long[] Hw = { 2, 3 };

    private static readonly Dictionary<string, (Func<Tensor[]> inputs, Func<Tensor[], Tensor> f)> s_cases = new(StringComparer.Ordinal)
    {
        ["add_broadcast"] = (() => new[] { S(3, 1), S2(1, 4) }, x => x[0] + x[1]),
        ["sub_alpha"] = (() => new[] { S(3, 4), S2(4) }, x => x[0].sub(x[1], 1.5)),
        ["mul_broadcast"] = (() => new[] { S(3, 1), S2(1, 4) }, x => x[0] * x[1]),
        ["div_broadcast"] = (() => new[] { S(3, 4), Positive(4) }, x => x[0] / x[1]),
        ["pow_scalar"] = (() => new[] { Positive(5) }, x => x[0].pow(2.5)),
        ["pow_tensor"] = (() => new[] { Positive(5), S(5) }, x => x[0].pow(x[1])),
        ["abs"] = (() => new[] { S(6) }, x => x[0].abs()),
        ["neg"] = (() => new[] { S(6) }, x => -x[0]),
        ["sqrt"] = (() => new[] { Positive(6) }, x => x[0].sqrt()),
        ["exp"] = (() => new[] { S(6) }, x => x[0].exp()),
        ["log"] = (() => new[] { Positive(6) }, x => x[0].log()),
        ["sin"] = (() => new[] { S(6) }, x => x[0].sin()),
        ["cos"] = (() => new[] { S(6) }, x => x[0].cos()),
        ["tanh"] = (() => new[] { S(6) }, x => x[0].tanh()),
        ["sigmoid"] = (() => new[] { S(6) }, x => x[0].sigmoid()),
        ["relu"] = (() => new[] { S(6) }, x => x[0].relu()),
        ["gelu"] = (() => new[] { S(6) }, x => F.gelu(x[0])),
        ["gelu_tanh"] = (() => new[] { S(6) }, x => F.gelu(x[0], "tanh")),
        ["silu"] = (() => new[] { S(6) }, x => F.silu(x[0])),
        ["clamp"] = (() => new[] { S(8) }, x => x[0].clamp(-0.4, 0.5)),
        ["sum_dims_keepdim"] = (() => new[] { S(2, 3, 4) }, x => x[0].sum(new long[] { 0, 2 }, keepdim: true)),
        ["mean_dim"] = (() => new[] { S(2, 3, 4) }, x => x[0].mean(1)),
        ["max_dim"] = (() => new[] { S(3, 4) }, x => x[0].max(1).values),
        ["min_all"] = (() => new[] { S(3, 4) }, x => x[0].min()),
        ["std_dims"] = (() => new[] { S(2, 3, 4) }, x => x[0].std(new long[] { 0, 2 })),
        ["norm_p3_dim"] = (() => new[] { S(3, 4) }, x => x[0].norm(new long[] { 1 }, p: 3)),
        ["vector_norm_2"] = (() => new[] { S(3, 4) }, x => linalg.vector_norm(x[0], 2, new long[] { 0 })),
        ["log_softmax"] = (() => new[] { S(3, 4) }, x => x[0].log_softmax(-1)),
        ["softmax"] = (() => new[] { S(3, 4) }, x => x[0].softmax(0)),
        ["matmul_batched"] = (() => new[] { S(2, 3, 4), S2(4, 2) }, x => x[0].matmul(x[1])),
        ["einsum"] = (() => new[] { S(2, 3), S2(3, 4) }, x => einsum("ij,jk->ik", x[0], x[1])),
        ["permute_reshape"] = (() => new[] { S(2, 3, 4) }, x => x[0].permute(2, 0, 1).reshape(4, 6)),
        ["expand_repeat"] = (() => new[] { S(3, 1) }, x => x[0].expand(3, 4).repeat(2, 1)),
        ["cat_stack"] = (() => new[] { S(2, 3), S2(2, 3) }, x => cat(new[] { x[0], stack(new[] { x[0], x[1] }).sum(0) }, 1)),
        ["narrow_slice"] = (() => new[] { S(4, 6) }, x => x[0].narrow(0, 1, 2).slice(1, 1, null, 2)),
        ["chunk"] = (() => new[] { S(6, 2) }, x => x[0].chunk(3)[1] * 2),
        ["index_select"] = (() => new[] { S(4, 3) }, x => x[0].index_select(0, tensor(new long[] { 2, 0, 2 }))),
        ["gather"] = (() => new[] { S(3, 4) }, x => x[0].gather(1, tensor(new long[] { 3, 0, 1, 1, 2, 2 }, new long[] { 3, 2 }))),
        ["flip_roll_rot90"] = (() => new[] { S(1, 2, 3, 4) }, x => x[0].flip(3).roll(1, 2).rot90(1, Hw)),
        ["where"] = (() => new[] { S(3, 4), S2(3, 4) }, x => where(x[0] > x[1], x[0] * x[0], x[1])),
        ["conv1d_stride_dilation_groups"] = (() => new[] { S(2, 4, 9), S2(6, 2, 3), S(6) },
            x => F.conv1d(x[0], x[1], x[2], stride: 2, padding: 2, dilation: 2, groups: 2)),
        ["conv1d_circular"] = (() => new[] { S(1, 2, 7), S2(3, 2, 3) }, x => F.conv1d(x[0], x[1], padding: 1, padding_mode: "circular")),
        ["conv2d_padding"] = (() => new[] { S(1, 2, 5, 5), S2(3, 2, 3, 3), S(3) }, x => F.conv2d(x[0], x[1], x[2], padding: new long[] { 1, 1 })),
        ["conv2d_circular"] = (() => new[] { S(1, 2, 5, 4), S2(2, 2, 3, 3) }, x => F.conv2d(x[0], x[1], padding: new long[] { 1, 1 }, padding_mode: "circular")),
        ["conv2d_reflect_stride2"] = (() => new[] { S(1, 2, 6, 5), S2(2, 2, 3, 3) }, x => F.conv2d(x[0], x[1], stride: new long[] { 2, 2 }, padding: new long[] { 1, 1 }, padding_mode: "reflect")),
        ["conv2d_dilation_groups"] = (() => new[] { S(1, 4, 6, 6), S2(4, 2, 2, 2) }, x => F.conv2d(x[0], x[1], dilation: new long[] { 2, 2 }, groups: 2)),
        ["max_pool2d"] = (() => new[] { S(1, 2, 4, 6) }, x => F.max_pool2d(x[0], new long[] { 2, 2 })),
        ["avg_pool2d_padded"] = (() => new[] { S(1, 2, 5, 5) }, x => F.avg_pool2d(x[0], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 })),
        ["adaptive_avg_pool2d"] = (() => new[] { S(1, 2, 5, 7) }, x => F.adaptive_avg_pool2d(x[0], new long[] { 2, 3 })),
        ["pool1d_max_avg_adaptive"] = (() => new[] { S(1, 2, 9) }, x => F.adaptive_avg_pool1d(F.avg_pool1d(F.max_pool1d(x[0], 3, 1, 1), 2, 1), 3)),
        ["adaptive_max_pool2d"] = (() => new[] { S(1, 2, 5, 7) }, x => F.adaptive_max_pool2d(x[0], new long[] { 2, 3 })),
        ["batch_norm_train"] = (() => new[] { S(3, 2, 2, 2), S2(2), S(2) }, x => F.batch_norm(x[0], null, null, x[1], x[2], training: true)),
        ["layer_norm"] = (() => new[] { S(2, 3, 4), S2(4), S(4) }, x => F.layer_norm(x[0], new long[] { 4 }, x[1], x[2])),
        ["group_norm"] = (() => new[] { S(2, 4, 3), S2(4), S(4) }, x => F.group_norm(x[0], 2, x[1], x[2])),
        ["interpolate_bilinear"] = (() => new[] { S(1, 1, 3, 4) }, x => F.interpolate(x[0], size: new long[] { 5, 6 }, mode: "bilinear")),
        ["interpolate_bilinear_align_corners"] = (() => new[] { S(1, 1, 3, 4) }, x => F.interpolate(x[0], size: new long[] { 4, 7 }, mode: "bilinear", align_corners: true)),
        ["affine_grid"] = (() => new[] { S(1, 2, 3) }, x => F.affine_grid(x[0], new long[] { 1, 1, 3, 4 })),
        ["grid_sample_bilinear_input_and_grid"] = (() => new[] { S(1, 2, 4, 5), S2(1, 3, 3, 2) }, x => F.grid_sample(x[0], x[1], "bilinear", "zeros")),
        ["grid_sample_bilinear_border_align_corners"] = (() => new[] { S(1, 1, 4, 5), S2(1, 3, 3, 2) * 1.4 }, x => F.grid_sample(x[0], x[1], "bilinear", "border", align_corners: true)),
        ["grid_sample_bilinear_reflection"] = (() => new[] { S(1, 1, 4, 5), S2(1, 3, 3, 2) * 1.6 }, x => F.grid_sample(x[0], x[1], "bilinear", "reflection")),
        ["grid_sample_nearest_input"] = (() => new[] { S(1, 2, 4, 5) }, x => F.grid_sample(x[0], GradCheck.Smooth(new long[] { 1, 3, 3, 2 }, seed: 5), "nearest", "zeros")),
    };

    private static IEnumerable<string> CaseNames() => s_cases.Keys.Order(StringComparer.Ordinal);

    [TestCaseSource(nameof(CaseNames))]
    public void Gradient_MatchesFiniteDifferences(string name)
    {
        using var scope = NewDisposeScope();
        var (inputs, f) = s_cases[name];
        GradCheck.AssertGradientsMatchFiniteDifferences(f, inputs());
    }

    [Test]
    public void GradCheck_DetectsAWrongGradient()
    {
        // A custom "op" whose backward is deliberately wrong: y = x·stopgrad(x) has true derivative 2x, autograd sees x.
        using var scope = NewDisposeScope();
        var x = S(4);
        Assert.Throws<AssertionException>(() => GradCheck.AssertGradientsMatchFiniteDifferences(v => v[0] * v[0].detach(), new[] { x }));
    }
}
