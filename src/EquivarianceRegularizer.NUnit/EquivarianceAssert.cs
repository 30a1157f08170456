using System.Globalization;
using System.Text;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Audit.Reports;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using NUnit.Framework;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.NUnit;

/// <summary>
/// Equivariance assertions for users' own test suites. Each runs the audit <see cref="Auditor"/> runs, with the
/// same defaults (<see cref="AuditOptions.Default"/>: eval mode, float64 transform arithmetic, every element of a
/// finite group, layer-wise isolation; the gradient test on request), so it reaches the verdict
/// <c>Auditor.Audit</c> and <c>eqv audit</c> reach, and fails with the report's summary, first failing layer and
/// diagnoses. Returns the report when it passes.
/// <code>EquivarianceAssert.IsInvariant(model, Transform.RotationByQuarterTurns(), inputShape: new long[] { 1, 28, 28 });</code>
/// </summary>
public static class EquivarianceAssert
{
    /// <summary>The options used when none are given: the audit's own defaults (<see cref="AuditOptions.Default"/>) on random inputs of <paramref name="inputShape"/>.</summary>
    public static AuditOptions Defaults(long[] inputShape) => AuditOptions.Default with { InputShape = inputShape };

    /// <summary>Asserts f(T x) = f(x) on random inputs of shape <paramref name="inputShape"/> (without batch axis).</summary>
    public static AuditReport IsInvariant(TensorModel model, IGroupTransform transform, long[] inputShape, AuditOptions? options = null, bool acceptNeedsAttention = false) =>
        Satisfies(new HookedModel(model), Symmetry.Invariant(transform), (options ?? Defaults(inputShape)) with { InputShape = inputShape }, acceptNeedsAttention);

    /// <summary>Asserts f(T x) = f(x) on the given inputs (batch first).</summary>
    public static AuditReport IsInvariant(TensorModel model, IGroupTransform transform, Tensor inputs, AuditOptions? options = null, bool acceptNeedsAttention = false)
    {
        CheckInputs(inputs);
        return Satisfies(new HookedModel(model), Symmetry.Invariant(transform),
            (options ?? Defaults(inputs.shape.Skip(1).ToArray())) with { Inputs = inputs, Samples = (int)inputs.size(0) }, acceptNeedsAttention);
    }

    /// <summary>Asserts f(T x) = T'(f(x)) (T' defaults to T) on random inputs of shape <paramref name="inputShape"/>.</summary>
    public static AuditReport IsEquivariant(TensorModel model, IGroupTransform input, long[] inputShape, IGroupTransform? output = null, AuditOptions? options = null, bool acceptNeedsAttention = false) =>
        Satisfies(new HookedModel(model), Symmetry.Equivariant(input, output), (options ?? Defaults(inputShape)) with { InputShape = inputShape }, acceptNeedsAttention);

    /// <summary>Asserts f(T x) = T'(f(x)) on the given inputs (batch first).</summary>
    public static AuditReport IsEquivariant(TensorModel model, IGroupTransform input, Tensor inputs, IGroupTransform? output = null, AuditOptions? options = null, bool acceptNeedsAttention = false)
    {
        CheckInputs(inputs);
        return Satisfies(new HookedModel(model), Symmetry.Equivariant(input, output),
            (options ?? Defaults(inputs.shape.Skip(1).ToArray())) with { Inputs = inputs, Samples = (int)inputs.size(0) }, acceptNeedsAttention);
    }

    /// <summary>Asserts the audit of a model (a TorchSharp module or a TorchScript module) against any specification passes (or, when accepted, needs attention only).</summary>
    public static AuditReport Satisfies(TensorModel model, Symmetry spec, AuditOptions options, bool acceptNeedsAttention = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Satisfies(new HookedModel(model), spec, options, acceptNeedsAttention);
    }

    internal static AuditReport Satisfies(ObservedModel model, Symmetry spec, AuditOptions options, bool acceptNeedsAttention = false)
    {
        var report = Auditor.Audit(model, spec, options);
        bool ok = report.Verdict == Verdict.Pass || (acceptNeedsAttention && report.Verdict == Verdict.NeedsAttention);
        if (!ok) Assert.Fail(FailureMessage(report));
        return report;
    }

    /// <summary>Inputs must be a live tensor with a batch axis and at least one sample.</summary>
    private static void CheckInputs(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.IsInvalid)
            throw new ObjectDisposedException(nameof(inputs), "inputs has been disposed (its dispose scope ended, or Dispose was called); keep it alive until the assertion returns.");
        if (inputs.dim() == 0)
            throw new ArgumentException("inputs is a 0-d tensor (a single number); give samples batch first, [N, ...] (e.g. [8, 1, 28, 28]), or use the overload taking an input shape.", nameof(inputs));
        if (inputs.size(0) == 0)
            throw new ArgumentException($"inputs holds no samples (shape [{string.Join(", ", inputs.shape)}]); give at least one sample, batch first.", nameof(inputs));
    }

    /// <summary>The message an assertion fails with: summary, first failing layer and each diagnosis with its fix.</summary>
    public static string FailureMessage(AuditReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        sb.Append("Equivariance audit: ").Append(report.Summary).Append('\n');
        foreach (var d in report.Diagnoses)
            sb.Append(CultureInfo.InvariantCulture, $"  [{ReportText.Kind(d.Kind)}] {d.Location} ({d.Severity}): {d.Evidence}\n    fix: {d.Fix}\n");
        return sb.ToString();
    }
}
