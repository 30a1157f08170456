using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>Tensor creation, dtypes, .NET array round trips, factories, seeded random numbers and metadata.</summary>
public class TensorTests
{
    [Test]
    public void Tensor_FromArrays_RoundTripsEveryDtype()
    {
        using var scope = NewDisposeScope();
        var f = tensor(new float[] { 1.5f, -2, 3 });
        var d = tensor(new double[] { 1.25, -2, 1e-300, 6 }, new long[] { 2, 2 });
        var l = tensor(new long[] { long.MaxValue, -7, 0 });
        var b = tensor(new[] { true, false, true, true });
        Assert.That((f.dtype, d.dtype, l.dtype, b.dtype), Is.EqualTo((float32, float64, int64, @bool)));
        Assert.That(f.data<float>(), Is.EqualTo(new float[] { 1.5f, -2, 3 }));
        Assert.That(d.data<double>(), Is.EqualTo(new double[] { 1.25, -2, 1e-300, 6 }));
        Assert.That(d.shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(l.data<long>(), Is.EqualTo(new long[] { long.MaxValue, -7, 0 }));
        Assert.That(b.data<bool>(), Is.EqualTo(new[] { true, false, true, true }));
    }

    [Test]
    public void Tensor_From2DArray_KeepsRowMajorLayout()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.That(t.shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(t[1, 0].item(), Is.EqualTo(4));
        Assert.That(t.transpose(0, 1).contiguous().data<double>(), Is.EqualTo(new double[] { 1, 4, 2, 5, 3, 6 }));
    }

    [Test]
    public void Data_OfNonContiguousView_CopiesInLogicalOrder()
    {
        using var scope = NewDisposeScope();
        var t = arange(6, float64).reshape(2, 3).transpose(0, 1);
        Assert.That(t.data<double>(), Is.EqualTo(new double[] { 0, 3, 1, 4, 2, 5 }));
    }

    [Test]
    public void Factories_GiveExpectedValuesShapesAndDtypes()
    {
        using var scope = NewDisposeScope();
        Assert.That(zeros(2, 3).data<float>(), Is.All.EqualTo(0f));
        Assert.That(zeros(2, 3).shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(ones(new long[] { 4 }, float64).data<double>(), Is.All.EqualTo(1.0));
        Assert.That(full(new long[] { 2, 2 }, 2.5, float64).data<double>(), Is.All.EqualTo(2.5));
        Assert.That(full(new long[] { 3 }, 7, int64).data<long>(), Is.EqualTo(new long[] { 7, 7, 7 }));
        Assert.That(arange(5).data<long>(), Is.EqualTo(new long[] { 0, 1, 2, 3, 4 }));
        Assert.That(arange(1, 2, 0.25).data<float>(), Is.EqualTo(new float[] { 1, 1.25f, 1.5f, 1.75f }));
        Assert.That(arange(0, 3, 1, float64).dtype, Is.EqualTo(float64));
        Assert.That(linspace(-1, 1, 5, float64).data<double>(), Is.EqualTo(new double[] { -1, -0.5, 0, 0.5, 1 }));
        Assert.That(eye(3, dtype: float64).data<double>(), Is.EqualTo(new double[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }));
        Assert.That(eye(2, 3).shape, Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(zeros(new long[] { 2 }, @bool).data<bool>(), Is.EqualTo(new[] { false, false }));
        Assert.That(zeros_like(ones(new long[] { 3 }, float64)).dtype, Is.EqualTo(float64));
        Assert.That(scalar_tensor(3.5, float64).shape, Is.Empty);
    }

    [Test]
    public void DefaultDtype_IsFloat32()
    {
        using var scope = NewDisposeScope();
        Assert.That(zeros(1).dtype, Is.EqualTo(float32));
        Assert.That(randn(2).dtype, Is.EqualTo(float32));
        Assert.That(linspace(0, 1, 3).dtype, Is.EqualTo(float32));
    }

    [Test]
    public void RandomFactories_WithSameSeed_AreReproducible_AndDifferAcrossSeeds()
    {
        using var scope = NewDisposeScope();
        static double[] Draw(ulong seed)
        {
            using var g = new Generator(seed);
            using var s = NewDisposeScope();
            var parts = new[]
            {
                rand(new long[] { 3 }, g, float64),
                randn(new long[] { 3 }, g, float64),
                randint(0, 10, new long[] { 3 }, g).to(float64),
                empty_like_zeros(3).uniform_(-2, 5, g),
            };
            return cat(parts).data<double>();
        }
        var a = Draw(123);
        Assert.That(Draw(123), Is.EqualTo(a));
        Assert.That(Draw(124), Is.Not.EqualTo(a));
    }

    private static Tensor empty_like_zeros(long n) => zeros(new long[] { n }, float64);

    [Test]
    public void RandomFactories_RespectTheirRanges()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var u = rand(new long[] { 2000 }, g, float64).data<double>();
        Assert.That(u, Is.All.GreaterThanOrEqualTo(0.0).And.All.LessThan(1.0));
        Assert.That(u.Average(), Is.EqualTo(0.5).Within(0.03));
        var n = randn(new long[] { 4000 }, g, float64);
        Assert.That(n.mean().item(), Is.EqualTo(0).Within(0.06));
        Assert.That(n.std().item(), Is.EqualTo(1).Within(0.06));
        var ri = randint(-3, 4, new long[] { 500 }, g).data<long>();
        Assert.That(ri, Is.All.InRange(-3L, 3L));
        Assert.That(ri.Distinct().Count(), Is.EqualTo(7));
        var uu = zeros(new long[] { 500 }, float64).uniform_(2, 3, g).data<double>();
        Assert.That(uu, Is.All.InRange(2.0, 3.0));
    }

    [Test]
    public void Generator_ManualSeed_RestartsTheStream()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var first = randn(new long[] { 4 }, g).data<float>();
        g.manual_seed(1);
        Assert.That(randn(new long[] { 4 }, g).data<float>(), Is.EqualTo(first));
        Assert.That(g.InitialSeed, Is.EqualTo(1UL));
    }

    [Test]
    public void GlobalManualSeed_MakesUnseededFactoriesReproducible()
    {
        using var scope = NewDisposeScope();
        manual_seed(99);
        var a = randn(5).data<float>();
        manual_seed(99);
        Assert.That(randn(5).data<float>(), Is.EqualTo(a));
    }

    [Test]
    public void Metadata_ShapeDtypeDeviceItemNumel()
    {
        using var scope = NewDisposeScope();
        var t = zeros(new long[] { 2, 3, 4 }, float64);
        Assert.That(t.shape, Is.EqualTo(new long[] { 2, 3, 4 }));
        Assert.That(t.ndim, Is.EqualTo(3));
        Assert.That(t.dim(), Is.EqualTo(3));
        Assert.That(t.size(-1), Is.EqualTo(4));
        Assert.That(t.numel(), Is.EqualTo(24));
        Assert.That(t.dtype, Is.EqualTo(float64));
        Assert.That(t.device, Is.EqualTo("cpu"));
        Assert.That(t.device_type, Is.EqualTo(DeviceType.CPU));
        Assert.That(full(new long[] { 1 }, 4.5).item(), Is.EqualTo(4.5));
        Assert.That(full(new long[] { 1, 1 }, 9, int64).item<long>(), Is.EqualTo(9L));
        Assert.That(tensor(new[] { true }).item<bool>(), Is.True);
    }

    [Test]
    public void ToString_ShowsValuesAndType()
    {
        using var scope = NewDisposeScope();
        var text = tensor(new double[] { 1.5, -2 }).ToString();
        Assert.That(text, Does.Contain("1.5").And.Contain("-2").And.Contain("Double"));
        var t = zeros(1);
        t.Dispose();
        Assert.That(t.ToString(), Is.EqualTo("Tensor(disposed)"));
    }

    [Test]
    public void To_ConvertsDtype()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new double[] { 1.7, -2.2 });
        Assert.That(t.to(int64).data<long>(), Is.EqualTo(new long[] { 1, -2 }));
        Assert.That(t.@float().data<float>(), Is.EqualTo(new[] { 1.7f, -2.2f }));
        Assert.That(t.gt(0).data<bool>(), Is.EqualTo(new[] { true, false }));
        Assert.That(t.ToArrayFloat(), Is.EqualTo(new[] { 1.7f, -2.2f }));
    }

    [Test]
    public void InPlaceOps_ModifyTheTensorAndReturnIt()
    {
        using var scope = NewDisposeScope();
        var t = ones(new long[] { 3 }, float64);
        Assert.That(t.add_(tensor(new double[] { 1, 2, 3 }), 2).mul_(0.5), Is.SameAs(t));
        Assert.That(t.data<double>(), Is.EqualTo(new double[] { 1.5, 2.5, 3.5 }));
        t.clamp_(2, 3).fill_(4).sub_(ones(new long[] { 3 }, float64));
        Assert.That(t.data<double>(), Is.EqualTo(new double[] { 3, 3, 3 }));
        var i = arange(3);
        i.add_(arange(3), 2);
        Assert.That(i.data<long>(), Is.EqualTo(new long[] { 0, 3, 6 }));
    }

    [Test]
    public void Dropout_IsIdentityInEval_AndZeroesOrRescalesInTraining()
    {
        using var scope = NewDisposeScope();
        var x = ones(new long[] { 4000 }, float64);
        Assert.That(nn.functional.dropout(x, 0.5, training: false).data<double>(), Is.All.EqualTo(1.0));
        Assert.That(nn.functional.dropout(x, 0.0).data<double>(), Is.All.EqualTo(1.0));
        Assert.That(nn.functional.dropout(x, 1.0).data<double>(), Is.All.EqualTo(0.0));
        manual_seed(3);
        var y = nn.functional.dropout(x, 0.25).data<double>();
        Assert.That(y, Is.All.EqualTo(0.0).Or.EqualTo(1 / 0.75).Within(1e-12));
        Assert.That(y.Count(v => v == 0) / 4000.0, Is.EqualTo(0.25).Within(0.03));
    }

    [Test]
    public void Allclose_UsesRelativeAndAbsoluteTolerance()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 100 });
        var b = tensor(new double[] { 1 + 1e-9, 100.002 });
        Assert.That(allclose(a, b), Is.False, "0.002 > 1e-8 + 1e-5·100");
        Assert.That(allclose(a, b, rtol: 3e-5), Is.True, "0.002 <= 1e-8 + 3e-5·100");
        Assert.That(allclose(a, b, rtol: 0, atol: 1e-2), Is.True);
        Assert.That(allclose(a, b, rtol: 0, atol: 1e-3), Is.False);
        Assert.That(allclose(a, a + 1e-12), Is.True);
    }

    [Test]
    public void Comparisons_GiveBoolTensors_AndOperatorsBroadcast()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[] { 1, 2, 3 });
        var b = tensor(new double[] { 2 });
        Assert.That((a < b).data<bool>(), Is.EqualTo(new[] { true, false, false }));
        Assert.That((a <= b).data<bool>(), Is.EqualTo(new[] { true, true, false }));
        Assert.That((a > 2).data<bool>(), Is.EqualTo(new[] { false, false, true }));
        Assert.That(a.ne(2).data<bool>(), Is.EqualTo(new[] { true, false, true }));
        Assert.That(a.eq(b).any(), Is.True);
        Assert.That(a.ge(1).all(), Is.True);
        Assert.That((1.0 / a).data<double>(), Is.EqualTo(new[] { 1, 0.5, 1 / 3.0 }).Within(1e-15));
    }
}
