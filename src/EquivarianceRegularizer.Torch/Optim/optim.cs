using EquivarianceRegularizer.Torch.Optim;

namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    /// <summary>Optimizers, as torch.optim (one parameter group each).</summary>
    public static class optim
    {
        /// <summary>Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay.</summary>
        public static Optim.SGD SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
            bool nesterov = false, double weight_decay = 0) => new(parameters, lr, momentum, dampening, nesterov, weight_decay);

        /// <summary>Adam with L2 weight decay in the gradient; betas default to (0.9, 0.999).</summary>
        public static Optim.Adam Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 0, bool amsgrad = false) => new(parameters, lr, betas ?? (0.9, 0.999), eps, weight_decay, amsgrad);

        /// <summary>AdamW: Adam with decoupled weight decay (default 0.01); betas default to (0.9, 0.999).</summary>
        public static Optim.AdamW AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
            double weight_decay = 0.01, bool amsgrad = false) => new(parameters, lr, betas ?? (0.9, 0.999), eps, weight_decay, amsgrad);
    }
}
