using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;
using F = EquivarianceRegularizer.Torch.torch.nn.functional;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>
/// Every op of the binding against values PyTorch computed for the same deterministic inputs
/// (tests/fixtures/ops/generate_op_fixtures.py). One entry per fixture case; a case without an entry fails.
/// </summary>
public class OpFixtureTests
{
    private static readonly long[] Hw = { 2, 3 };

    private static readonly Dictionary<string, Func<FixtureCase, Tensor[]>> s_ops = new(StringComparer.Ordinal)
    {
        // broadcasting arithmetic and comparisons
        ["add_broadcast"] = c => One(c["a"] + c["b"]),
        ["sub_broadcast_alpha"] = c => One(c["a"].sub(c["b"], alpha: 2.5)),
        ["mul_broadcast"] = c => One(c["a"] * c["b"]),
        ["div_broadcast"] = c => One(c["a"] / c["b"]),
        ["add_scalar"] = c => One(c["a"] + 1.25),
        ["rsub_scalar"] = c => One(3.0 - c["a"]),
        ["pow_scalar"] = c => One(c["a"].pow(1.5)),
        ["pow_tensor"] = c => One(c["a"].pow(c["b"])),
        ["lt_broadcast"] = c => One(c["a"] < c["b"]),
        ["ge_broadcast"] = c => One(c["a"] >= c["b"]),
        ["gt_scalar"] = c => One(c["a"] > 0.1),
        ["eq_broadcast"] = c => One(c["a"].eq(c["b"])),
        ["ne_broadcast"] = c => One(c["a"].ne(c["b"])),
        ["maximum_broadcast"] = c => One(maximum(c["a"], c["b"])),
        ["add_float32"] = c => One(c["a"] + c["b"]),
        ["add_int64"] = c => One(c["a"] + c["b"]),
        // elementwise
        ["abs"] = c => One(c["x"].abs()),
        ["neg"] = c => One(-c["x"]),
        ["sqrt"] = c => One(c["x"].sqrt()),
        ["exp"] = c => One(c["x"].exp()),
        ["log"] = c => One(c["x"].log()),
        ["sin"] = c => One(c["x"].sin()),
        ["cos"] = c => One(c["x"].cos()),
        ["tanh"] = c => One(F.tanh(c["x"])),
        ["sigmoid"] = c => One(F.sigmoid(c["x"])),
        ["relu"] = c => One(F.relu(c["x"])),
        ["gelu"] = c => One(F.gelu(c["x"])),
        ["gelu_tanh"] = c => One(F.gelu(c["x"], approximate: "tanh")),
        ["silu"] = c => One(F.silu(c["x"])),
        ["clamp"] = c => One(c["x"].clamp(-0.5, 0.75)),
        ["clamp_min_only"] = c => One(c["x"].clamp(min: -0.25)),
        // reductions
        ["sum_all"] = c => One(c["x"].sum()),
        ["sum_dims_keepdim"] = c => One(c["x"].sum(new long[] { 0, 2 }, keepdim: true)),
        ["mean_dim"] = c => One(c["x"].mean(1)),
        ["mean_dims_keepdim"] = c => One(c["x"].mean(new long[] { 1, 2 }, keepdim: true)),
        ["max_all"] = c => One(c["x"].max()),
        ["max_dim_keepdim"] = c => Two(c["x"].max(1, keepdim: true)),
        ["min_dim"] = c => Two(c["x"].min(2)),
        ["argmax_all"] = c => One(c["x"].argmax()),
        ["argmax_dim_keepdim"] = c => One(c["x"].argmax(2, keepdim: true)),
        ["std_all"] = c => One(c["x"].std()),
        ["std_dims_keepdim"] = c => One(c["x"].std(new long[] { 0, 2 }, keepdim: true)),
        ["std_dim_biased"] = c => One(c["x"].std(new long[] { 1 }, unbiased: false)),
        ["norm_all"] = c => One(c["x"].norm()),
        ["norm_p1_dim_keepdim"] = c => One(c["x"].norm(new long[] { 2 }, p: 1, keepdim: true)),
        ["norm_p3_dims"] = c => One(c["x"].norm(new long[] { 0, 1 }, p: 3)),
        ["vector_norm_all"] = c => One(linalg.vector_norm(c["x"])),
        ["vector_norm_inf_dim"] = c => One(linalg.vector_norm(c["x"], double.PositiveInfinity, new long[] { 1 })),
        ["vector_norm_2_dims_keepdim"] = c => One(linalg.vector_norm(c["x"], 2, new long[] { 1, 2 }, keepdim: true)),
        ["log_softmax"] = c => One(F.log_softmax(c["x"], -1)),
        ["softmax"] = c => One(F.softmax(c["x"], 1)),
        // linear algebra
        ["matmul_batched_broadcast"] = c => One(matmul(c["a"], c["b"])),
        ["matmul_vector"] = c => One(matmul(c["a"], c["b"])),
        ["einsum_bij_jk"] = c => One(einsum("bij,jk->bik", c["a"], c["b"])),
        ["einsum_trace_like"] = c => One(einsum("ii->", c["a"])),
        // shape
        ["reshape"] = c => One(c["x"].reshape(4, 6)),
        ["view"] = c => One(c["x"].view(6, 4)),
        ["permute"] = c => One(c["x"].permute(2, 0, 1)),
        ["transpose"] = c => One(c["x"].transpose(0, 2)),
        ["flatten"] = c => One(c["x"].flatten(1)),
        ["squeeze_dim"] = c => One(c["x"].squeeze(1)),
        ["unsqueeze"] = c => One(c["x"].unsqueeze(1)),
        ["expand"] = c => One(c["x"].expand(3, 4)),
        ["repeat"] = c => One(c["x"].repeat(2, 1, 2)),
        ["contiguous_of_transpose"] = c => One(c["x"].transpose(1, 2).contiguous()),
        ["cat_dim1"] = c => One(cat(new[] { c["a"], c["b"] }, 1)),
        ["stack_dim1"] = c => One(stack(new[] { c["a"], c["b"] }, 1)),
        ["chunk_uneven"] = c => c["x"].chunk(3, 0),
        ["narrow"] = c => One(c["x"].narrow(2, 1, 2)),
        ["slice_step"] = c => One(c["x"].slice(2, 1, null, 2)),
        ["slice_negative_start"] = c => One(c["x"].slice(1, -2, null)),
        ["index_select"] = c => One(c["x"].index_select(1, c["index"])),
        ["gather"] = c => One(c["x"].gather(2, c["index"])),
        ["flip"] = c => One(c["x"].flip(0, 2)),
        ["roll"] = c => One(c["x"].roll(1, 2)),
        ["roll_two_dims"] = c => One(c["x"].roll(new long[] { -1, 2 }, new long[] { 1, 2 })),
        ["rot90_k1"] = c => One(c["x"].rot90(1, Hw)),
        ["rot90_k3"] = c => One(c["x"].rot90(3, Hw)),
        ["rot90_k_minus1"] = c => One(c["x"].rot90(-1, Hw)),
        ["rot90_k2"] = c => One(c["x"].rot90(2, Hw)),
        // resampling
        ["affine_grid_ac0"] = c => One(F.affine_grid(c["theta"], new long[] { 2, 2, 4, 7 }, align_corners: false)),
        ["affine_grid_ac1"] = c => One(F.affine_grid(c["theta"], new long[] { 2, 2, 4, 7 }, align_corners: true)),
        ["interpolate_nearest_size"] = c => One(F.interpolate(c["x"], size: new long[] { 7, 4 })),
        ["interpolate_nearest_scale"] = c => One(F.interpolate(c["x"], scale_factor: 2.0)),
        ["interpolate_bilinear_ac0"] = c => One(F.interpolate(c["x"], size: new long[] { 8, 9 }, mode: "bilinear")),
        ["interpolate_bilinear_ac1"] = c => One(F.interpolate(c["x"], size: new long[] { 8, 9 }, mode: "bilinear", align_corners: true)),
        ["interpolate_bilinear_scale"] = c => One(F.interpolate(c["x"], scale_factor: 1.5, mode: "bilinear")),
        // convolution
        ["conv1d_basic"] = c => One(F.conv1d(c["x"], c["w"], c["b"])),
        ["conv1d_stride_padding_dilation"] = c => One(F.conv1d(c["x"], c["w"], c["b"], stride: 2, padding: 2, dilation: 2)),
        ["conv1d_groups"] = c => One(F.conv1d(c["x"], c["w"], null, padding: 1, groups: 2)),
        ["conv1d_circular"] = c => One(F.conv1d(c["x"], c["w"], c["b"], padding: 2, padding_mode: "circular")),
        ["conv1d_reflect"] = c => One(F.conv1d(c["x"], c["w"], c["b"], padding: 2, padding_mode: "reflect")),
        ["conv1d_replicate"] = c => One(F.conv1d(c["x"], c["w"], c["b"], padding: 2, padding_mode: "replicate")),
        ["conv2d_basic"] = c => One(F.conv2d(c["x"], c["w"], c["b"])),
        ["conv2d_padding1"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 1, 1 })),
        ["conv2d_stride2_padding_2_1"] = c => One(F.conv2d(c["x"], c["w"], null, stride: new long[] { 2, 2 }, padding: new long[] { 2, 1 })),
        ["conv2d_dilation2"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 2, 2 }, dilation: new long[] { 2, 2 })),
        ["conv2d_groups2"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 1, 1 }, groups: 2)),
        ["conv2d_circular"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 1, 2 }, padding_mode: "circular")),
        ["conv2d_reflect"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 1, 2 }, padding_mode: "reflect")),
        ["conv2d_replicate"] = c => One(F.conv2d(c["x"], c["w"], c["b"], padding: new long[] { 1, 2 }, padding_mode: "replicate")),
        ["conv2d_circular_stride2"] = c => One(F.conv2d(c["x"], c["w"], null, stride: new long[] { 2, 2 }, padding: new long[] { 1, 1 }, padding_mode: "circular")),
        // pooling
        ["max_pool2d_2"] = c => One(F.max_pool2d(c["x"], new long[] { 2, 2 })),
        ["max_pool2d_3_stride2_pad1"] = c => One(F.max_pool2d(c["x"], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 })),
        ["avg_pool2d_2"] = c => One(F.avg_pool2d(c["x"], new long[] { 2, 2 })),
        ["avg_pool2d_3_stride2_pad1"] = c => One(F.avg_pool2d(c["x"], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 })),
        ["adaptive_avg_pool2d_3x5"] = c => One(F.adaptive_avg_pool2d(c["x"], new long[] { 3, 5 })),
        ["adaptive_avg_pool2d_1"] = c => One(F.adaptive_avg_pool2d(c["x"], new long[] { 1, 1 })),
        ["adaptive_max_pool2d_3x5"] = c => One(F.adaptive_max_pool2d(c["x"], new long[] { 3, 5 })),
        ["max_pool1d_3_stride2_pad1"] = c => One(F.max_pool1d(c["x"], 3, 2, 1)),
        ["avg_pool1d_2"] = c => One(F.avg_pool1d(c["x"], 2)),
        ["avg_pool1d_3_stride2_pad1"] = c => One(F.avg_pool1d(c["x"], 3, 2, 1)),
        ["adaptive_avg_pool1d_4"] = c => One(F.adaptive_avg_pool1d(c["x"], 4)),
        // normalization
        ["batch_norm_eval"] = c => One(F.batch_norm(c["x"], c["running_mean"], c["running_var"], c["weight"], c["bias"], training: false)),
        ["batch_norm_train"] = c =>
        {
            var rm = c["running_mean"];
            var rv = c["running_var"];
            var y = F.batch_norm(c["x"], rm, rv, c["weight"], c["bias"], training: true, momentum: 0.2);
            return new[] { y, rm, rv };
        },
        ["layer_norm"] = c => One(F.layer_norm(c["x"], new long[] { 7, 8 }, c["weight"], c["bias"])),
        ["layer_norm_no_affine"] = c => One(F.layer_norm(c["x"], new long[] { 8 })),
        ["group_norm"] = c => One(F.group_norm(c["x"], 2, c["weight"], c["bias"])),
        // selection and checks
        ["where"] = c => One(where(c["c"], c["x"], c["y"])),
        ["isfinite"] = c => One(isfinite(c["x"])),
    };

    static OpFixtureTests()
    {
        foreach (var ac in new[] { 0, 1 })
            foreach (var mode in new[] { "bilinear", "nearest" })
                foreach (var pad in new[] { "zeros", "border", "reflection" })
                {
                    bool alignCorners = ac == 1;
                    string m = mode, p = pad;
                    s_ops[$"grid_sample_{mode}_{pad}_ac{ac}"] = c => One(F.grid_sample(c["x"], c["grid"], m, p, alignCorners));
                }
    }

    private static Tensor[] One(Tensor t) => new[] { t };

    private static Tensor[] Two((Tensor, Tensor) t) => new[] { t.Item1, t.Item2 };

    private static IEnumerable<string> CaseNames() => OpFixtures.Instance.CaseNames;

    [TestCaseSource(nameof(CaseNames))]
    public void Op_MatchesPyTorch(string name)
    {
        using var scope = NewDisposeScope();
        var fixture = OpFixtures.Instance.Case(name);
        Assert.That(s_ops.TryGetValue(name, out var op), Is.True, $"No managed implementation registered for fixture case '{name}'.");
        var actual = op!(fixture);
        Assert.That(actual, Has.Length.EqualTo(fixture.Outputs.Length), "number of outputs");
        for (int i = 0; i < actual.Length; i++) AssertMatches(actual[i], fixture.Outputs[i], $"{name} output {i}");
    }

    [Test]
    public void EveryRegisteredOp_HasAFixtureCase()
    {
        var missing = s_ops.Keys.Except(OpFixtures.Instance.CaseNames).ToArray();
        Assert.That(missing, Is.Empty, "managed cases without PyTorch reference values");
        Assert.That(OpFixtures.Instance.CaseNames.Count(), Is.GreaterThanOrEqualTo(120));
    }

    internal static void AssertMatches(Tensor actual, FixtureTensor expected, string what)
    {
        Assert.That(actual.dtype, Is.EqualTo(expected.DType), $"{what}: dtype");
        Assert.That(actual.shape, Is.EqualTo(expected.Shape), $"{what}: shape");
        var got = actual.ToArrayDouble();
        double rtol = expected.DType == ScalarType.Float32 ? 1e-5 : 1e-9;
        double atol = expected.DType == ScalarType.Float32 ? 1e-6 : 1e-11;
        int bad = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double e = expected.Values[i], g = got[i];
            bool same = double.IsNaN(e) ? double.IsNaN(g) : double.IsInfinity(e) ? g == e : Math.Abs(g - e) <= atol + rtol * Math.Abs(e);
            if (!same) { bad = i; break; }
        }
        Assert.That(bad, Is.EqualTo(-1), () => $"{what}: element {bad} is {got[bad]:R}, PyTorch gives {expected.Values[bad]:R}");
    }
}
