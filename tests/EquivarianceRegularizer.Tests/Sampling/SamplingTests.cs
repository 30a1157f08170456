using EquivarianceRegularizer.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Sampling;

public class SamplingTests
{
    // ∫_[0,1]^4 Π (π/2) sin(π u_i) du = 1.
    private static double Estimate(IPointSampler sampler, ulong seed, long n)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        var u = sampler.SampleUnitCube(n, 4, g, ScalarType.Float64);
        var f = (u * Math.PI).sin().mul(Math.PI / 2);
        var prod = f.select(1, 0) * f.select(1, 1) * f.select(1, 2) * f.select(1, 3);
        return prod.mean().ToDouble();
    }

    [Test]
    public void ScrambledSobol_HasLowerVarianceThanMonteCarlo_OnAKnownIntegral()
    {
        const int replicates = 24;
        double Var(IPointSampler s) =>
            Enumerable.Range(0, replicates).Select(r => Math.Pow(Estimate(s, (ulong)(100 + r), 256) - 1.0, 2)).Average();
        double mc = Var(MonteCarloSampler.Instance);
        double qmc = Var(ScrambledSobolSampler.Instance);
        TestContext.Out.WriteLine($"mean squared error over {replicates} replicates, n = 256: Monte Carlo {mc:E3}, scrambled Sobol {qmc:E3}");
        Assert.That(qmc, Is.LessThan(mc / 10), "randomized QMC should beat plain MC by far on a smooth 4-D integrand");
        Assert.That(mc, Is.GreaterThan(1e-4), "the plain Monte Carlo error is of the expected size");
    }

    [Test]
    public void ScrambledSobol_IsUnbiasedAcrossScrambles()
    {
        double mean = Enumerable.Range(0, 16).Select(r => Estimate(ScrambledSobolSampler.Instance, (ulong)(7 + r), 64)).Average();
        Assert.That(mean, Is.EqualTo(1.0).Within(0.02));
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(57)]
    [TestCase(783)]
    public void ScrambledSobol_StratifiesEveryCoordinate(int dimension)
    {
        // The first 2^m points of every coordinate hit each of the 2^m cells [k/2^m, (k+1)/2^m) exactly once.
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var u = ScrambledSobolSampler.Instance.SampleUnitCube(32, 784, g, ScalarType.Float64);
        var cells = u.select(1, dimension).ToArrayDouble().Select(v => (int)Math.Floor(v * 32)).OrderBy(c => c);
        Assert.That(cells, Is.EqualTo(Enumerable.Range(0, 32)));
    }

    [Test]
    public void ScrambledSobol_DiffersBetweenScrambles_AndRepeatsForASeed()
    {
        using var scope = NewDisposeScope();
        Tensor Draw(ulong seed)
        {
            using var g = new Generator(seed);
            return ScrambledSobolSampler.Instance.SampleUnitCube(16, 3, g, ScalarType.Float64);
        }
        Assert.That(Draw(1).allclose(Draw(1), 0, 0), Is.True);
        Assert.That(Draw(1).allclose(Draw(2)), Is.False);
    }

    [Test]
    public void SobolOption_DrivesTheRegularizersPoints()
    {
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, new long[] { 2 }, new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new EquivarianceRegularizer.Transforms.CyclicShift(2)) },
            n: 16, bounds: (-1.0, 1.0), options: new EquivarianceErrorOptions { Seed = 1, Sampler = ScrambledSobolSampler.Instance });
        using var scope = NewDisposeScope();
        var x = reg.SamplePoints();
        var cells = x.select(1, 0).ToArrayDouble().Select(v => (int)Math.Floor((v + 1) / 2 * 16)).OrderBy(c => c);
        Assert.That(cells, Is.EqualTo(Enumerable.Range(0, 16)), "Sobol points stratify the box");
    }

    [Test]
    public void Regularizer_ReleasesEveryTensorItCreates()
    {
        using var model = new PlainCnn(1, 6, 3, withBatchNorm: true);
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 },
            new EquivarianceTerm[] { EquivarianceTerm.Invariant(new EquivarianceRegularizer.Transforms.RotationByQuarterTurns()), EquivarianceTerm.Invariant(EquivarianceRegularizer.Transforms.Flip.Horizontal()) },
            n: 8, numFuncs: 2, options: new EquivarianceErrorOptions { Seed = 2 });
        void Step()
        {
            using var scope = NewDisposeScope();
            reg.call().backward();
            model.zero_grad();
        }
        Step();
        long before = TorchTestSupport.LiveTensors;
        for (int i = 0; i < 5; i++) Step();
        Assert.That(TorchTestSupport.LiveTensors, Is.EqualTo(before));
    }
}
