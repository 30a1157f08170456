using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.Support;

/// <summary>
/// Small float64 gradient and JVP checks against central finite differences.
/// Reverse mode: for a fixed irregular cotangent u, the autograd gradient of ⟨u, f(x)⟩ with respect to every input
/// element must match (⟨u, f(x + h·eᵢ)⟩ − ⟨u, f(x − h·eᵢ)⟩) / 2h.
/// Forward mode: J·v from <see cref="torch.autograd.jvp"/> must match (f(x + h·v) − f(x − h·v)) / 2h.
/// </summary>
internal static class GradCheck
{
    public const double Step = 1e-6;

    /// <summary>Deterministic irregular float64 values in about [−1, 1] (no ties, no zeros).</summary>
    public static Tensor Smooth(long[] shape, double seed = 0)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = Math.Sin(1.37 * i + 0.7 * seed + 0.3) * Math.Cos(0.29 * i + seed) + 0.01 * ((i % 7) - 3.1);
        return tensor(v, shape);
    }

    /// <summary>Asserts the reverse-mode gradients of f at <paramref name="inputs"/> equal finite differences.</summary>
    public static void AssertGradientsMatchFiniteDifferences(Func<Tensor[], Tensor> f, Tensor[] inputs, double atol = 1e-6, double rtol = 1e-5)
    {
        using var scope = NewDisposeScope();
        foreach (var x in inputs)
            Assert.That(x.dtype, Is.EqualTo(ScalarType.Float64), "gradcheck runs in float64");
        var leaves = inputs.Select(x => x.detach().requires_grad_()).ToArray();
        var y = f(leaves);
        var u = Smooth(y.shape, seed: 11);
        var loss = (y * u).sum();
        var analytic = autograd.grad(new[] { loss }, leaves, allow_unused: true);

        for (int k = 0; k < inputs.Length; k++)
        {
            var baseValues = inputs[k].ToArrayDouble();
            var shape = inputs[k].shape;
            var expected = new double[baseValues.Length];
            for (int i = 0; i < baseValues.Length; i++)
            {
                expected[i] = (Objective(f, inputs, k, shape, baseValues, i, +Step, u) - Objective(f, inputs, k, shape, baseValues, i, -Step, u)) / (2 * Step);
            }
            var got = analytic[k]?.ToArrayDouble() ?? new double[baseValues.Length];
            Assert.That(got, Has.Length.EqualTo(expected.Length));
            for (int i = 0; i < got.Length; i++)
            {
                Assert.That(got[i], Is.EqualTo(expected[i]).Within(atol + rtol * Math.Abs(expected[i])),
                    $"d/d input {k} element {i}: autograd {got[i]:R}, finite difference {expected[i]:R}");
            }
        }
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] inputs, int k, long[] shape, double[] baseValues, int i, double h, Tensor u)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var moved = (double[])baseValues.Clone();
        moved[i] += h;
        var args = (Tensor[])inputs.Clone();
        args[k] = tensor(moved, shape);
        return (f(args) * u).sum().item();
    }

    /// <summary>Central finite-difference directional derivative (f(x + h·v) − f(x − h·v)) / 2h.</summary>
    public static Tensor DirectionalDerivative(Func<Tensor, Tensor> f, Tensor x, Tensor v, double h = Step)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var plus = f(x + v * h);
        var minus = f(x - v * h);
        return ((plus - minus) / (2 * h)).MoveToOuterDisposeScope();
    }

    /// <summary>Asserts two tensors agree within atol + rtol·|expected| elementwise.</summary>
    public static void AssertClose(Tensor actual, Tensor expected, double atol, double rtol, string what)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{what}: shape");
        var a = actual.ToArrayDouble();
        var e = expected.ToArrayDouble();
        for (int i = 0; i < a.Length; i++)
            Assert.That(a[i], Is.EqualTo(e[i]).Within(atol + rtol * Math.Abs(e[i])), $"{what}: element {i}");
    }
}
