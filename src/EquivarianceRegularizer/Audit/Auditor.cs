using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Audits a model against a symmetry: identity sanity check, end-to-end error over every element of a finite
/// group (Haar draws for continuous ones), interpolation baseline, float64 re-run, layer-wise isolation, and on
/// request the gradient test, the random-init baseline and the layer-wise LEE; then diagnosis and verdict.
/// Transform arithmetic and errors are computed in float64; the model runs in its own dtype. The model's mode,
/// dtype and parameter values are restored afterwards. The same options give the same verdict here, in
/// <c>EquivarianceAssert</c> and in <c>eqv audit</c> (see <see cref="AuditOptions"/> for the defaults).
/// </summary>
public static class Auditor
{
    /// <summary>Audits a TorchSharp model (an <c>nn.Module&lt;Tensor, Tensor&gt;</c> or a TorchScript module).</summary>
    public static AuditReport Audit(TensorModel model, Symmetry spec, AuditOptions options) =>
        Audit(new HookedModel(model ?? throw new ArgumentNullException(nameof(model))), spec, options);

    /// <summary>
    /// Audits the TorchScript model in the file at <paramref name="torchScriptPath"/> as <c>eqv audit</c> does: the
    /// archive is checked and loaded with a copy rewritten to expose every layer's calls (TorchSharp has no hooks on
    /// script children), so the layer phase sees each layer. With <see cref="ScriptLoadSafety.ChildProcessProbe"/> (the
    /// default) a file libtorch cannot compile is a <see cref="Jit.TorchScriptLoadException"/>, not the end of the process.
    /// </summary>
    public static AuditReport Audit(string torchScriptPath, Symmetry spec, AuditOptions options, ScriptLoadSafety safety = ScriptLoadSafety.ChildProcessProbe)
    {
        ArgumentException.ThrowIfNullOrEmpty(torchScriptPath);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        using var tapped = TappedScriptModule.Load(torchScriptPath, safety);
        return Audit(new TappedModel(tapped, Reports.ReportText.Printable(Path.GetFileName(torchScriptPath))), spec, options);
    }

    /// <summary>Audits any model behind the <see cref="ObservedModel"/> adapter (e.g. a TorchScript module).</summary>
    internal static AuditReport Audit(ObservedModel model, Symmetry spec, AuditOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        ModelRunErrors.CheckUsable(model);
        options.Validate();
        options.ValidateLayerActions(model);
        using var unoptimized = UnoptimizedTorchScript.Begin();
        return new AuditRun(model, spec, options).Run();
    }
}
