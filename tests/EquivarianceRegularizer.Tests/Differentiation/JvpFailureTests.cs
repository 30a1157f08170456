using System.Reflection;
using EquivarianceRegularizer.Differentiation;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>What goes wrong is said in the user's terms, and never as a zero tangent or a dead process.</summary>
public class JvpFailureTests
{
    private const string DisableVariable = "EQUIVARIANCE_REGULARIZER_DISABLE_FORWARD_AD";

    [Test]
    public void ForcingForwardMode_WhereUnavailable_ThrowsNotSupportedWithTheReason_WhileAutoStillWorks()
    {
        _ = Jvp.ForwardModeAvailable; // this copy's verdict is settled before the variable is set
        var (context, isolatedJvp) = IsolatedLibraryCopy.Load();
        try
        {
            Environment.SetEnvironmentVariable(DisableVariable, "1");
            var available = (bool)isolatedJvp.GetProperty(nameof(Jvp.ForwardModeAvailable))!.GetValue(null)!;
            var reason = (string?)isolatedJvp.GetProperty(nameof(Jvp.ForwardModeUnavailableReason))!.GetValue(null);
            Assert.That(available, Is.False);
            Assert.That(reason, Does.Contain(DisableVariable));

            using var scope = NewDisposeScope();
            var x = randn(4, 3, dtype: float64);
            var v = randn(4, 3, dtype: float64);
            Func<Tensor, Tensor> f = t => t.sin();
            var compute = isolatedJvp.GetMethod(nameof(Jvp.Compute))!;
            var error = Assert.Throws<TargetInvocationException>(() => compute.Invoke(null, [f, x, v, JvpMethod.ForwardMode, false]));
            Assert.That(error!.InnerException, Is.TypeOf<NotSupportedException>());
            Assert.That(error.InnerException!.Message, Does.Contain("JvpMethod.ForwardMode").And.Contain(DisableVariable)
                .And.Contain("JvpMethod.DoubleBackward"));

            var (_, tangent) = ((Tensor, Tensor))compute.Invoke(null, [f, x, v, JvpMethod.Auto, false])!;
            Assert.That(JvpReference.RelativeError(tangent, x.cos() * v), Is.LessThan(1e-14));
        }
        finally
        {
            Environment.SetEnvironmentVariable(DisableVariable, null);
            context.Unload();
        }
        Assert.That(Jvp.ForwardModeUnavailableReason ?? "", Does.Not.Contain(DisableVariable), "the main copy is unaffected");
    }

    [Test]
    public void TheLee_ReportsTheMethodThatRan_WhenForwardModeFallsBackToDoubleBackward()
    {
        _ = Jvp.ForwardModeAvailable;
        var (context, isolatedJvp) = IsolatedLibraryCopy.Load();
        try
        {
            Environment.SetEnvironmentVariable(DisableVariable, "1");
            var library = isolatedJvp.Assembly;
            var translate = Activator.CreateInstance(library.GetType("EquivarianceRegularizer.Transforms.TranslationX", true)!, [null, null])!;
            var measure = library.GetType("EquivarianceRegularizer.Lie.LocalEquivarianceError", true)!.GetMethods()
                .Single(m => m.Name == "Measure" && m.GetParameters()[2].ParameterType.Name == "IContinuousTransform");
            using var scope = NewDisposeScope();
            var x = rand(3, 1, 8, 8, dtype: float64);
            Func<Tensor, Tensor> f = t => t.sin().sum(new long[] { 1, 2, 3 });
            var lee = measure.Invoke(null, [f, x, translate, null])!;
            var method = lee.GetType().GetProperty("Method")!.GetValue(lee)!;
            Assert.That(method.ToString(), Is.EqualTo("DoubleBackward"), "forward mode was asked for (the default) and could not run");
            var inMainCopy = EquivarianceRegularizer.Lie.LocalEquivarianceError.Measure(f, x, new EquivarianceRegularizer.Transforms.TranslationX());
            Assert.That(inMainCopy.Method, Is.EqualTo(EquivarianceRegularizer.Lie.LieDerivativeMethod.ForwardMode));
            Assert.That((double)lee.GetType().GetProperty("Value")!.GetValue(lee)!, Is.EqualTo(inMainCopy.Value).Within(1e-12), "both exact");
        }
        finally
        {
            Environment.SetEnvironmentVariable(DisableVariable, null);
            context.Unload();
        }
    }

    [Test]
    public void GridSample_HasNoExactJvp_SoEveryMethodThrowsRatherThanReturningZeros(
        [Values(JvpMethod.Auto, JvpMethod.ForwardMode, JvpMethod.DoubleBackward)] JvpMethod method)
    {
        using var scope = NewDisposeScope();
        var image = rand(2, 1, 6, 6, dtype: float64);
        var grid = rand(2, 6, 6, 2, dtype: float64) * 2 - 1;
        Func<Tensor, Tensor> sample = t => nn.functional.grid_sample(t, grid, align_corners: false);

        var error = Assert.Throws<NotSupportedException>(() => Jvp.Compute(sample, image, randn_like(image), method));
        Assert.That(error!.Message, Does.Contain("grid_sampler_2d"));
    }

    [Test]
    public void ForwardMode_StartedInsideAForwardModeFunction_ThrowsInsteadOfNesting()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, dtype: float64);
        var v = randn(3, dtype: float64);
        Tensor Outer(Tensor t) => Jvp.Compute(u => u.exp(), t.detach(), v, JvpMethod.ForwardMode).Tangent + t;

        var error = Assert.Throws<NotSupportedException>(() => Jvp.Compute(Outer, x, v, JvpMethod.ForwardMode));
        Assert.That(error!.Message, Does.Contain("nest"));
    }

    [Test]
    public void Auto_StartedInsideAForwardModeFunction_FallsBackToDoubleBackward()
    {
        using var scope = NewDisposeScope();
        var x = randn(3, dtype: float64);
        var v = randn(3, dtype: float64);
        Tensor? inner = null;
        Tensor Outer(Tensor t)
        {
            inner = Jvp.Compute(u => u.exp(), x, v, JvpMethod.Auto).Tangent.MoveToOuterDisposeScope();
            return t * 2;
        }

        var (_, tangent) = Jvp.Compute(Outer, x, v, JvpMethod.ForwardMode);
        Assert.That(JvpReference.RelativeError(inner!, x.exp() * v), Is.LessThan(1e-14));
        Assert.That(JvpReference.RelativeError(tangent, 2 * v), Is.LessThan(1e-15));
    }

    [Test]
    public void FunctionNotUsingItsInput_IsAnArgumentError_ByEachMethod(
        [Values(JvpMethod.Auto, JvpMethod.ForwardMode, JvpMethod.DoubleBackward)] JvpMethod method)
    {
        using var scope = NewDisposeScope();
        var x = randn(3, dtype: float64);
        var constant = ones(3, dtype: float64);

        var error = Assert.Catch(() => Jvp.Compute(_ => constant * 2, x, randn_like(x), method));
        Assert.That(error, Is.InstanceOf<ArgumentException>().Or.InstanceOf<NotSupportedException>());
        Assert.That(error!.Message, Does.Contain("does not depend on"));
    }

    [Test]
    public void BadArguments_AreRejectedBeforeAnyNativeCall()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3);
        Func<Tensor, Tensor> f = t => t.sin();

        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(f, x, randn(3, 2)))!.Message,
            Does.Contain("shape [3, 2]").And.Contain("[2, 3]"));
        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(f, x, randn(2, 3, dtype: float64)))!.Message,
            Does.Contain("same dtype"));
        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(f, ones(2, 3, dtype: int64), ones(2, 3, dtype: int64)))!.ParamName,
            Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(_ => ones(2, dtype: int64), x, randn(2, 3)))!.Message,
            Does.Contain("floating-point output"));
        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(_ => null!, x, randn(2, 3)))!.Message,
            Does.Contain("returned null"));
        Assert.Throws<ArgumentNullException>(() => Jvp.Compute(null!, x, x));
        Assert.Throws<ArgumentNullException>(() => Jvp.Compute(f, x, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => Jvp.Compute(f, x, x, (JvpMethod)42));
        var disposed = randn(2, 3);
        disposed.Dispose();
        Assert.That(Assert.Throws<ArgumentException>(() => Jvp.Compute(f, x, disposed))!.Message, Does.Contain("disposed"));
    }
}
