using EquivarianceRegularizer.Torch;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests;

public class SmokeTests
{
    [Test]
    public void Add_OfTwoTensors_GivesElementwiseSum()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3 });
        var b = tensor(new float[] { 10, 20, 30 });
        Assert.That((a + b).data<float>(), Is.EqualTo(new float[] { 11, 22, 33 }));
    }

    [Test]
    public void Randn_WithSeededGenerator_IsReproducible()
    {
        using var scope = NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        Assert.That(randn(new long[] { 5 }, g1).data<float>(), Is.EqualTo(randn(new long[] { 5 }, g2).data<float>()));
    }

    [Test]
    public void Matmul_OfIncompatibleShapes_NamesBothShapes()
    {
        using var scope = NewDisposeScope();
        var a = zeros(2, 3);
        var b = zeros(4, 5);
        var ex = Assert.Throws<ArgumentException>(() => matmul(a, b));
        Assert.That(ex!.Message, Does.Contain("[2, 3]").And.Contain("[4, 5]"));
    }

    [Test]
    public void NativeError_BecomesTorchException_WithLibtorchMessage()
    {
        using var scope = NewDisposeScope();
        var a = zeros(2, 3);
        var ex = Assert.Throws<TorchException>(() => a.view(7));
        Assert.That(ex!.Message, Does.Contain("invalid"));
    }

    [Test]
    public void Conv2d_WithCircularPadding_KeepsSize()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 2, 8, 8);
        var w = randn(3, 2, 3, 3);
        var y = nn.functional.conv2d(x, w, padding: new long[] { 1, 1 }, padding_mode: "circular");
        Assert.That(y.shape, Is.EqualTo(new long[] { 1, 3, 8, 8 }));
    }

    [Test]
    public void Jvp_OfSquare_IsTwoXV()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3 });
        var v = tensor(new double[] { 1, 1, 0.5 });
        var (y, t) = autograd.jvp(z => z * z, x, v);
        Assert.That(t.data<double>(), Is.EqualTo(new double[] { 2, 4, 3 }));
        Assert.That(y.data<double>(), Is.EqualTo(new double[] { 1, 4, 9 }));
    }

    [Test]
    public void DisposeScope_ReleasesEveryTensor()
    {
        long before = Tensor.LiveHandleCount;
        using (NewDisposeScope())
        {
            var a = ones(3, 3);
            var b = (a * 2).sum();
            Assert.That(b.item(), Is.EqualTo(18));
        }
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(before));
    }
}
