using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Jit;

public class UnoptimizedTorchScriptTests
{
    private static ForwardAdNativeFunctions Switch()
    {
        InitializeDeviceType(DeviceType.CPU);
        var functions = ForwardAdNativeFunctions.TryResolve(out var reason);
        Assert.That(functions, Is.Not.Null, reason);
        return functions!;
    }

    [Test]
    public void Scope_TurnsGraphOptimisationOff_AndRestoresWhatWasSetBefore()
    {
        var functions = Switch();
        Assert.That(functions.GraphExecutorOptimize, Is.True, "libtorch's default");
        using (UnoptimizedTorchScript.Begin())
        {
            Assert.That(functions.GraphExecutorOptimize, Is.False);
            using (UnoptimizedTorchScript.Begin()) Assert.That(functions.GraphExecutorOptimize, Is.False);
            Assert.That(functions.GraphExecutorOptimize, Is.False, "an inner scope leaves the outer one's setting");
        }
        Assert.That(functions.GraphExecutorOptimize, Is.True);
    }

    [Test]
    public void Audit_OfAScriptModel_LeavesTheThreadsOptimisationAsItWas()
    {
        var functions = Switch();
        var report = Auditor.Audit(JitTestFiles.Fixture("small_cnn_scripted.pt"), Symmetry.Invariant(new RotationByQuarterTurns()),
            new AuditOptions { InputShape = new long[] { 1, 12, 12 }, Samples = 2, Layers = true });
        Assert.That(report.Layers.Count(l => l.Tested), Is.GreaterThan(0));
        Assert.That(functions.GraphExecutorOptimize, Is.True);
    }
}
