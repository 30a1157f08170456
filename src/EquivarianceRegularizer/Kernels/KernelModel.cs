namespace EquivarianceRegularizer.Kernels;

/// <summary>
/// What the kernel runs: a forward function, the dtype it computes in, the module whose normalization statistics the
/// kernel guards (null: none to guard), whether the group acts in the inputs' dtype rather than the model's, and the
/// device the model runs on (null: the inputs' own).
/// </summary>
internal readonly record struct KernelModel(Func<Tensor, Tensor> Call, ScalarType DType, nn.Module? Module, bool ActInInputDtype = false, Device? Device = null);
