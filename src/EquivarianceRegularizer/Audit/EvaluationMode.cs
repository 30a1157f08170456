
namespace EquivarianceRegularizer.Audit;

/// <summary>In which mode the model is evaluated.</summary>
public enum EvaluationMode
{
    /// <summary>eval(): BatchNorm uses running statistics, Dropout is off (the default).</summary>
    Eval,
    /// <summary>train(): to audit training-time behaviour (batch statistics, dropout).</summary>
    Train,
    /// <summary>Leave the model in whatever mode it is in.</summary>
    AsIs,
}
