
namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>Puts the model in the audited dtype and mode and picks the thresholds keyed on that dtype.</summary>
internal static class SetupPhase
{
    public static ModelSetup Run(AuditContext ctx)
    {
        var model = ctx.Model;
        var options = ctx.Options;
        bool wasTraining = model.Training;
        var dtype = options.DType ?? model.DType;
        if (!dtype.IsFloatingPoint()) dtype = ScalarType.Float32;
        ctx.DType = dtype;
        if (model.DType != dtype) model.ConvertTo(dtype);
        switch (options.Mode)
        {
            case EvaluationMode.Eval: model.SetTraining(false); break;
            case EvaluationMode.Train: model.SetTraining(true); break;
        }
        bool training = model.Training;
        string modeText = options.Mode switch
        {
            EvaluationMode.Eval => "eval",
            EvaluationMode.Train => "train",
            _ => $"as-is ({(training ? "train" : "eval")})",
        };
        ctx.Notes.Add(options.Mode == EvaluationMode.Eval
            ? $"Evaluated in eval mode (the default){(wasTraining ? "; the model was handed over in train mode and is restored to it" : "")}."
            : $"Evaluated in {(training ? "train" : "eval")} mode as requested.");
        var th = options.Thresholds ?? Thresholds.For(dtype);
        ctx.Thresholds = th;
        ctx.Notes.Add($"Model dtype {dtype}; thresholds {th.Perfect:0e+0} / {th.Excellent:0e+0} / {th.Approximate:0e+0} (perfect / excellent / approximate) keyed on {dtype}; transforms and errors computed in float64.");
        return new ModelSetup(wasTraining, training, modeText);
    }
}
