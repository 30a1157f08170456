
namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>The mode the model was handed over in and the one it is audited in.</summary>
/// <param name="WasTraining">Whether the model was in train mode when handed over.</param>
/// <param name="Training">Whether it runs in train mode during the audit.</param>
/// <param name="ModeText">"eval", "train" or "as-is (train|eval)", for the report.</param>
internal sealed record ModelSetup(bool WasTraining, bool Training, string ModeText);
