using EquivarianceRegularizer.Torch.Tests.Support;
using static EquivarianceRegularizer.Torch.torch;
using F = EquivarianceRegularizer.Torch.torch.nn.functional;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>
/// Forward-mode AD (forward_ad.dual_level / make_dual / unpack_dual and the jvp helper): J·v against finite
/// differences and against reverse mode, through the layers a vision model uses; a missing tangent is an error.
/// </summary>
public class ForwardAdTests
{
    private static Tensor S(params long[] shape) => GradCheck.Smooth(shape);
    private static Tensor W(params long[] shape) => GradCheck.Smooth(shape, seed: 5);

    private static readonly long[] Hw = { 2, 3 };

    // Functions of one image-like input x (1×2×6×6 unless stated): the layers whose forward AD we rely on.
    private static readonly Dictionary<string, (long[] shape, Func<Tensor, Tensor> f)> s_functions = new(StringComparer.Ordinal)
    {
        ["tanh_of_square"] = (new long[] { 5 }, x => (x * x).tanh()),
        ["matmul_softmax"] = (new long[] { 3, 4 }, x => x.matmul(W(4, 2)).softmax(-1)),
        ["log_softmax"] = (new long[] { 3, 4 }, x => x.log_softmax(1)),
        ["conv2d_zeros"] = (new long[] { 1, 2, 6, 6 }, x => F.conv2d(x, W(3, 2, 3, 3), S(3), padding: new long[] { 1, 1 })),
        ["conv2d_circular"] = (new long[] { 1, 2, 6, 6 }, x => F.conv2d(x, W(3, 2, 3, 3), padding: new long[] { 1, 1 }, padding_mode: "circular")),
        ["conv2d_reflect"] = (new long[] { 1, 2, 6, 6 }, x => F.conv2d(x, W(3, 2, 3, 3), padding: new long[] { 1, 1 }, padding_mode: "reflect")),
        ["conv2d_replicate"] = (new long[] { 1, 2, 6, 6 }, x => F.conv2d(x, W(3, 2, 3, 3), padding: new long[] { 1, 1 }, padding_mode: "replicate")),
        ["conv1d_groups"] = (new long[] { 1, 2, 7 }, x => F.conv1d(x, W(4, 1, 3), stride: 2, padding: 1, groups: 2)),
        ["max_pool2d"] = (new long[] { 1, 2, 6, 6 }, x => F.max_pool2d(x, new long[] { 2, 2 })),
        ["avg_pool2d"] = (new long[] { 1, 2, 6, 6 }, x => F.avg_pool2d(x, new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 })),
        ["adaptive_avg_pool2d"] = (new long[] { 1, 2, 6, 6 }, x => F.adaptive_avg_pool2d(x, new long[] { 4, 3 })),
        ["batch_norm_train"] = (new long[] { 3, 2, 3, 3 }, x => F.batch_norm(x, null, null, W(2), S(2), training: true)),
        ["batch_norm_eval"] = (new long[] { 3, 2, 3, 3 }, x => F.batch_norm(x, S(2) * 0.1, S(2).abs() + 0.5, W(2), S(2), training: false)),
        ["layer_norm"] = (new long[] { 2, 3, 4 }, x => F.layer_norm(x, new long[] { 3, 4 }, W(3, 4), S(3, 4))),
        ["group_norm"] = (new long[] { 2, 4, 3, 3 }, x => F.group_norm(x, 2, W(4), S(4))),
        ["interpolate_bilinear"] = (new long[] { 1, 2, 4, 5 }, x => F.interpolate(x, size: new long[] { 6, 7 }, mode: "bilinear")),
        ["gather_roll_rot90_flip"] = (new long[] { 1, 2, 3, 4 }, x => x.roll(1, 3).rot90(1, Hw).flip(2)),
        ["small_cnn"] = (new long[] { 2, 1, 6, 6 }, x =>
        {
            var h = F.conv2d(x, W(3, 1, 3, 3), S(3), padding: new long[] { 1, 1 }, padding_mode: "circular").relu();
            h = F.group_norm(h, 3, W(3), S(3));
            h = F.max_pool2d(h, new long[] { 2, 2 });
            return F.adaptive_avg_pool2d(F.silu(h), new long[] { 1, 1 }).flatten(1).log_softmax(1);
        }),
    };

    private static IEnumerable<string> FunctionNames() => s_functions.Keys.Order(StringComparer.Ordinal);

    [TestCaseSource(nameof(FunctionNames))]
    public void Jvp_MatchesFiniteDifferences(string name)
    {
        using var scope = NewDisposeScope();
        var (shape, f) = s_functions[name];
        var x = S(shape);
        var v = W(shape);
        var (y, jv) = autograd.jvp(f, x, v);
        using (no_grad()) GradCheck.AssertClose(y, f(x), 1e-12, 1e-12, $"{name}: primal output");
        GradCheck.AssertClose(jv, GradCheck.DirectionalDerivative(f, x, v), 1e-6, 1e-5, $"{name}: J·v");
    }

    [TestCaseSource(nameof(FunctionNames))]
    public void Jvp_AgreesWithReverseMode_UJvEqualsJtUV(string name)
    {
        using var scope = NewDisposeScope();
        var (shape, f) = s_functions[name];
        var x = S(shape);
        var v = W(shape);
        var (y, jv) = autograd.jvp(f, x, v);
        var u = GradCheck.Smooth(y.shape, seed: 9);
        var leaf = x.detach().requires_grad_();
        var jtu = autograd.grad(new[] { f(leaf) }, new[] { leaf }, new Tensor?[] { u })[0]!;
        double lhs = (u * jv).sum().item();
        double rhs = (jtu * v).sum().item();
        Assert.That(lhs, Is.EqualTo(rhs).Within(1e-10 + 1e-10 * Math.Abs(rhs)), $"{name}: <u, Jv> vs <Jᵀu, v>");
    }

    [Test]
    public void Jvp_FullJacobian_MatchesVjpWithBasisVectors()
    {
        using var scope = NewDisposeScope();
        Func<Tensor, Tensor> f = x => F.conv1d(x, W(2, 1, 3), padding: 1, padding_mode: "circular").tanh();
        var x = S(1, 1, 4);
        // Column j of J from forward mode (J·e_j), row i from reverse mode (e_iᵀ·J).
        var columns = new double[4][];
        for (int j = 0; j < 4; j++)
        {
            var e = zeros(new long[] { 1, 1, 4 }, float64);
            e.view(4)[j].fill_(1);
            columns[j] = autograd.jvp(f, x, e).jvp.ToArrayDouble();
        }
        var leaf = x.detach().requires_grad_();
        var y = f(leaf);
        for (int i = 0; i < 8; i++)
        {
            var ei = zeros(new long[] { 1, 2, 4 }, float64);
            ei.view(8)[i].fill_(1);
            var row = autograd.grad(new[] { y }, new[] { leaf }, new Tensor?[] { ei }, retain_graph: true)[0]!.ToArrayDouble();
            for (int j = 0; j < 4; j++)
                Assert.That(columns[j][i], Is.EqualTo(row[j]).Within(1e-12), $"J[{i},{j}]");
        }
    }

    [Test]
    public void DualLevel_MakeDualUnpackDual_GivesTangentOfProduct()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3 });
        var b = tensor(new double[] { 4, 5, 6 });
        using var level = autograd.forward_ad.dual_level();
        var dual = autograd.forward_ad.make_dual(a, ones_like(a));
        var (primal, tangent) = autograd.forward_ad.unpack_dual((dual * dual * b).sum());
        Assert.That(primal.item(), Is.EqualTo(1 * 4 + 4 * 5 + 9 * 6));
        Assert.That(tangent, Is.Not.Null);
        Assert.That(tangent!.item(), Is.EqualTo(2 * 4 + 4 * 5 + 6 * 6));
    }

    [Test]
    public void UnpackDual_OfTensorWithoutTangent_GivesNullTangent()
    {
        using var scope = NewDisposeScope();
        using var level = autograd.forward_ad.dual_level();
        var plain = tensor(new double[] { 1, 2 });
        var (primal, tangent) = autograd.forward_ad.unpack_dual(plain * 2);
        Assert.That(tangent, Is.Null);
        Assert.That(primal.data<double>(), Is.EqualTo(new double[] { 2, 4 }));
    }

    [Test]
    public void MakeDual_WithoutOpenLevel_ThrowsClearly()
    {
        using var scope = NewDisposeScope();
        var x = zeros(2);
        var ex = Assert.Throws<InvalidOperationException>(() => autograd.forward_ad.make_dual(x, ones(2)));
        Assert.That(ex!.Message, Does.Contain("dual_level"));
    }

    [Test]
    public void MakeDual_WithMismatchedTangentShape_NamesBothShapes()
    {
        using var scope = NewDisposeScope();
        using var level = autograd.forward_ad.dual_level();
        var ex = Assert.Throws<ArgumentException>(() => autograd.forward_ad.make_dual(zeros(2, 3), zeros(3, 2)));
        Assert.That(ex!.Message, Does.Contain("[3, 2]").And.Contain("[2, 3]"));
    }

    [Test]
    public void Jvp_ThroughGridSample_ThrowsInsteadOfReturningZero()
    {
        using var scope = NewDisposeScope();
        var x = S(1, 1, 4, 4);
        var grid = W(1, 3, 3, 2);
        var ex = Assert.Throws<InvalidOperationException>(() => autograd.jvp(t => F.grid_sample(t, grid), x, ones_like(x)));
        Assert.That(ex!.Message, Does.Contain("jvp").And.Contain("grid_sampler"));
    }

    [Test]
    public void Jvp_ThroughAffineGridAndGridSample_WithRespectToTheta_ThrowsInsteadOfReturningZero()
    {
        using var scope = NewDisposeScope();
        var image = S(1, 1, 4, 4);
        var theta = tensor(new double[] { 1, 0, 0, 0, 1, 0 }, new long[] { 1, 2, 3 });
        var dTheta = tensor(new double[] { 0, -1, 0, 1, 0, 0 }, new long[] { 1, 2, 3 });
        Assert.Throws<InvalidOperationException>(() =>
            autograd.jvp(t => F.grid_sample(image, F.affine_grid(t, new long[] { 1, 1, 4, 4 })), theta, dTheta));
    }

    [Test]
    public void Jvp_OfFunctionIgnoringItsInput_ThrowsNoTangent()
    {
        using var scope = NewDisposeScope();
        var x = S(3);
        var ex = Assert.Throws<InvalidOperationException>(() => autograd.jvp(t => t.detach() * 2, x, ones_like(x)));
        Assert.That(ex!.Message, Does.Contain("no tangent"));
    }

    [Test]
    public void Jvp_LeavesNoLiveHandlesBehind()
    {
        var (_, f) = s_functions["small_cnn"];
        using (var warm = NewDisposeScope()) autograd.jvp(f, S(2, 1, 6, 6), W(2, 1, 6, 6));
        long before = Tensor.LiveHandleCount;
        using (NewDisposeScope())
        {
            var (y, jv) = autograd.jvp(f, S(2, 1, 6, 6), W(2, 1, 6, 6));
            Assert.That(jv.shape, Is.EqualTo(y.shape));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }
}
