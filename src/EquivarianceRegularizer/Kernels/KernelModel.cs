namespace EquivarianceRegularizer.Kernels;

/// <summary>
/// What the kernel runs: a forward function, the dtype it computes in, the module whose normalization statistics the
/// kernel guards (null: none to guard), and whether the group acts in the inputs' dtype rather than the model's.
/// </summary>
internal readonly record struct KernelModel(Func<Tensor, Tensor> Call, ScalarType DType, nn.Module? Module, bool ActInInputDtype = false);
