using static EquivarianceRegularizer.Torch.torch;
using F = EquivarianceRegularizer.Torch.torch.nn.functional;

namespace EquivarianceRegularizer.Torch.Tests;

/// <summary>Bad input gives a clear .NET exception naming what was expected, never a native crash or silent NaN.</summary>
public class ErrorTests
{
    [Test]
    public void Matmul_OfIncompatibleShapes_NamesBothShapes()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => matmul(zeros(2, 3, 4), zeros(5, 6)));
        Assert.That(ex!.Message, Does.Contain("[2, 3, 4]").And.Contain("[5, 6]"));
        var scalar = Assert.Throws<ArgumentException>(() => matmul(scalar_tensor(1), zeros(2)));
        Assert.That(scalar!.Message, Does.Contain("at least one dimension"));
    }

    [Test]
    public void MatmulMethod_OfIncompatibleShapes_ThrowsTorchExceptionWithShapes()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => zeros(2, 3).matmul(zeros(4, 5)));
        Assert.That(ex!.Message, Does.Contain("2x3").And.Contain("4x5"));
    }

    [Test]
    public void Data_WithWrongElementType_NamesBothDtypes()
    {
        using var scope = NewDisposeScope();
        var t = zeros(new long[] { 2 }, float64);
        var ex = Assert.Throws<InvalidOperationException>(() => t.data<float>());
        Assert.That(ex!.Message, Does.Contain("Float64").And.Contain("Float32").And.Contain("Single"));
        Assert.Throws<InvalidOperationException>(() => tensor(new long[] { 1 }).data<double>());
        Assert.Throws<NotSupportedException>(() => t.data<short>());
    }

    [Test]
    public void UsingADisposedTensor_ThrowsObjectDisposedException()
    {
        using var scope = NewDisposeScope();
        var a = ones(2);
        var b = ones(2);
        a.Dispose();
        Assert.That(a.IsInvalid, Is.True);
        Assert.Throws<ObjectDisposedException>(() => a.add(b));
        Assert.Throws<ObjectDisposedException>(() => b.add(a));
        Assert.Throws<ObjectDisposedException>(() => a.exp());
        Assert.Throws<ObjectDisposedException>(() => b.mul(a));
        Assert.Throws<ObjectDisposedException>(() => _ = a.shape);
        Assert.Throws<ObjectDisposedException>(() => _ = a.dtype);
        Assert.Throws<ObjectDisposedException>(() => a.item());
        Assert.Throws<ObjectDisposedException>(() => a.data<float>());
        Assert.Throws<ObjectDisposedException>(() => a.backward());
        Assert.Throws<ObjectDisposedException>(() => cat(new[] { b, a }));
        Assert.Throws<ObjectDisposedException>(() => F.conv2d(zeros(1, 1, 3, 3), a.view(1, 1, 1, 2)));
        Assert.That(b.sum().item(), Is.EqualTo(2), "the other tensor is still usable");
    }

    [Test]
    public void UsingADisposedGenerator_ThrowsObjectDisposedException()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(1);
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => randn(new long[] { 2 }, g));
    }

    [Test]
    public void Tensor_WithShapeDataMismatch_NamesShapeAndLength()
    {
        var ex = Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2, 3 }, new long[] { 2, 2 }));
        Assert.That(ex!.Message, Does.Contain("[2, 2]").And.Contain("4").And.Contain("3"));
        Assert.That(ex.ParamName, Is.EqualTo("shape"));
        var negative = Assert.Throws<ArgumentException>(() => tensor(new float[] { 1, 2 }, new long[] { -1, -2 }));
        Assert.That(negative!.Message, Does.Contain("negative"));
        Assert.Throws<ArgumentNullException>(() => tensor<float>((float[])null!));
    }

    [Test]
    public void InvalidDimensions_ThrowWithTheAllowedRange()
    {
        using var scope = NewDisposeScope();
        var t = zeros(2, 3);
        var size = Assert.Throws<ArgumentOutOfRangeException>(() => t.size(2));
        Assert.That(size!.Message, Does.Contain("2 dimensions"));
        foreach (var bad in new Func<Tensor>[] { () => t.sum(5), () => t.transpose(0, 2), () => t.softmax(-3), () => t.unsqueeze(4), () => t.flip(3), () => t.narrow(2, 0, 1) })
        {
            var ex = Assert.Throws<TorchException>(() => bad());
            Assert.That(ex!.Message, Does.Contain("Dimension out of range"));
        }
        var narrow = Assert.Throws<TorchException>(() => t.narrow(1, 2, 5));
        Assert.That(narrow!.Message, Does.Contain("exceeds dimension size"));
        var view = Assert.Throws<TorchException>(() => t.view(4));
        Assert.That(view!.Message, Does.Contain("[4]").And.Contain("6"));
    }

    [Test]
    public void Item_OfMultiElementTensor_SaysHowManyElements()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => zeros(2, 3).item());
        Assert.That(ex!.Message, Does.Contain("6 elements"));
    }

    [Test]
    public void Broadcasting_OfIncompatibleShapes_NamesTheSizes()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => _ = zeros(2, 3) + zeros(4));
        Assert.That(ex!.Message, Does.Contain("(3)").And.Contain("(4)"));
    }

    [Test]
    public void Conv2d_WithWrongChannelCount_ThrowsInsteadOfCrashing()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<TorchException>(() => F.conv2d(zeros(1, 3, 8, 8), zeros(4, 2, 3, 3)));
        Assert.That(ex!.Message, Does.Contain("channels"));
        var mode = Assert.Throws<ArgumentException>(() => F.conv2d(zeros(1, 2, 8, 8), zeros(4, 2, 3, 3), padding: new long[] { 1, 1 }, padding_mode: "mirror"));
        Assert.That(mode!.Message, Does.Contain("mirror").And.Contain("circular"));
    }

    [Test]
    public void FunctionalOptions_OutsideTheirDomain_AreRejected()
    {
        using var scope = NewDisposeScope();
        var x = zeros(1, 1, 4, 4);
        var grid = zeros(1, 2, 2, 2);
        Assert.That(Assert.Throws<ArgumentException>(() => F.grid_sample(x, grid, mode: "cubic"))!.Message, Does.Contain("cubic"));
        Assert.That(Assert.Throws<ArgumentException>(() => F.grid_sample(x, grid, padding_mode: "wrap"))!.Message, Does.Contain("wrap"));
        Assert.Throws<ArgumentException>(() => F.interpolate(x));
        Assert.Throws<ArgumentException>(() => F.interpolate(x, size: new long[] { 2, 2 }, scale_factor: 2));
        Assert.Throws<ArgumentException>(() => F.interpolate(x, size: new long[] { 2, 2 }, mode: "area"));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.dropout(x, 1.5));
        Assert.Throws<ArgumentException>(() => randint(3, 3, new long[] { 2 }));
        Assert.Throws<ArgumentException>(() => cat(Array.Empty<Tensor>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => set_num_threads(0));
    }

    [Test]
    public void Backward_OfNonScalarWithoutGradient_ExplainsWhy()
    {
        using var scope = NewDisposeScope();
        var x = ones(new long[] { 3 }, requires_grad: true);
        var ex = Assert.Throws<TorchException>(() => (x * 2).backward());
        Assert.That(ex!.Message, Does.Contain("scalar outputs"));
        var noGraph = Assert.Throws<TorchException>(() => ones(1).sum().backward());
        Assert.That(noGraph!.Message, Does.Contain("does not require grad"));
    }

    [Test]
    public void AfterANativeError_TheNextCallSucceeds_AndErrorsAreThreadLocal()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<TorchException>(() => zeros(2, 3).view(5));
        Assert.That(ones(2).sum().item(), Is.EqualTo(2));
        string? otherMessage = null;
        var thread = new Thread(() =>
        {
            try { using var s = NewDisposeScope(); zeros(2).view(3); }
            catch (TorchException e) { otherMessage = e.Message; }
        });
        thread.Start();
        thread.Join();
        Assert.That(otherMessage, Does.Contain("[3]"));
        Assert.That(ones(3).sum().item(), Is.EqualTo(3));
    }

    [Test]
    public void UnknownOperator_ThrowsTorchException()
    {
        var ex = Assert.Throws<TorchException>(() => schema("definitely_not_an_op"));
        Assert.That(ex!.Message, Does.Contain("definitely_not_an_op"));
        Assert.That(schema("conv2d"), Does.Contain("conv2d(Tensor input, Tensor weight"));
    }
}
