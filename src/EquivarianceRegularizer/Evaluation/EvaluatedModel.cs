namespace EquivarianceRegularizer.Evaluation;

/// <summary>
/// What the evaluation runs: a forward function, the dtype it computes in, the module whose normalization statistics the
/// evaluation guards (null: none to guard), whether the group acts in the inputs' dtype rather than the model's, and the
/// device the model runs on (null: the inputs' own).
/// </summary>
internal readonly record struct EvaluatedModel(Func<Tensor, Tensor> Call, ScalarType DType, nn.Module? Module, bool ActInInputDtype = false, Device? Device = null);
