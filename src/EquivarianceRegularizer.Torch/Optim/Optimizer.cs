namespace EquivarianceRegularizer.Torch.Optim;

/// <summary>
/// Base of the optimizers: holds the parameters (not owned; they belong to their module) and per-parameter state
/// tensors (owned, disposed with the optimizer). <see cref="step"/> updates every parameter that has a gradient,
/// in place and without recording gradients; temporaries live in a dispose scope of their own, so a step leaves no
/// handles behind. Build the optimizer after converting the module with <c>to(dtype)</c>: conversion replaces the
/// parameter tensors.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly Tensor?[][] _state;
    private bool _disposed;

    private protected Optimizer(IEnumerable<Tensor> parameters, double lr, int stateSlots)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("The optimizer got an empty parameter list.", nameof(parameters));
        if (_parameters.Any(p => p is null)) throw new ArgumentException("The parameter list contains null.", nameof(parameters));
        if (_parameters.Distinct(ReferenceEqualityComparer.Instance).Count() != _parameters.Length)
            throw new ArgumentException("The parameter list contains the same tensor twice.", nameof(parameters));
        CheckLearningRate(lr);
        _lr = lr;
        _state = new Tensor?[_parameters.Length][];
        for (int i = 0; i < _state.Length; i++) _state[i] = new Tensor?[stateSlots];
    }

    private double _lr;

    /// <summary>Learning rate (may be changed between steps, e.g. by a schedule).</summary>
    public double lr
    {
        get => _lr;
        set
        {
            CheckLearningRate(value);
            _lr = value;
        }
    }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<Tensor> parameters => _parameters;

    /// <summary>Number of steps taken.</summary>
    public long step_count { get; private set; }

    private static void CheckLearningRate(double lr)
    {
        if (!(lr >= 0) || double.IsInfinity(lr)) throw new ArgumentException($"lr must be non-negative and finite, got {lr}.", nameof(lr));
    }

    /// <summary>Clears every parameter's gradient (to None by default, as PyTorch 2 does; zeros with false).</summary>
    public void zero_grad(bool set_to_none = true)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var p in _parameters) p.zero_grad(set_to_none);
    }

    /// <summary>Updates every parameter that has a gradient.</summary>
    public void step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        step_count++;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var grad = _parameters[i].grad;
            if (grad is null) continue;
            Update(_parameters[i], grad, _state[i]);
        }
    }

    /// <summary>
    /// Updates one parameter in place from its gradient. Runs under no_grad inside a dispose scope: temporaries need
    /// no disposal; tensors stored in <paramref name="state"/> must be created with <see cref="Keep"/>.
    /// </summary>
    private protected abstract void Update(Tensor parameter, Tensor grad, Tensor?[] state);

    /// <summary>Takes <paramref name="t"/> out of the step's dispose scope so it can live in the optimizer state.</summary>
    private protected static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();

    /// <summary>Number of state tensors held (for tests and diagnostics).</summary>
    public int StateTensorCount => _state.Sum(s => s.Count(t => t is not null));

    /// <summary>Releases the state tensors.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the state tensors.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (!disposing) return;
        foreach (var slots in _state)
            for (int k = 0; k < slots.Length; k++)
            {
                slots[k]?.Dispose();
                slots[k] = null;
            }
    }
}

/// <summary>
/// Stochastic gradient descent with optional momentum (with dampening), Nesterov momentum and L2 weight decay,
/// following PyTorch's update: g ← ∇ + wd·p; b ← μ·b + (1−τ)·g (b = g on the first step); g ← g + μ·b (Nesterov) or b;
/// p ← p − lr·g.
/// </summary>
public sealed class SGD : Optimizer
{
    internal SGD(IEnumerable<Tensor> parameters, double lr, double momentum, double dampening, bool nesterov, double weight_decay)
        : base(parameters, lr, 1)
    {
        if (!(momentum >= 0)) throw new ArgumentException($"momentum must be non-negative, got {momentum}.", nameof(momentum));
        if (!(weight_decay >= 0)) throw new ArgumentException($"weight_decay must be non-negative, got {weight_decay}.", nameof(weight_decay));
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum needs momentum > 0 and dampening = 0.", nameof(nesterov));
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.weight_decay = weight_decay;
    }

    /// <summary>Momentum factor μ.</summary>
    public double momentum { get; }
    /// <summary>Dampening τ of the momentum.</summary>
    public double dampening { get; }
    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool nesterov { get; }
    /// <summary>L2 penalty added to the gradient.</summary>
    public double weight_decay { get; }

    private protected override void Update(Tensor parameter, Tensor grad, Tensor?[] state)
    {
        var d = weight_decay != 0 ? grad.add(parameter, weight_decay) : grad;
        if (momentum != 0)
        {
            var buf = state[0];
            if (buf is null)
            {
                buf = state[0] = Keep(d.clone());
            }
            else
            {
                buf.mul_(momentum).add_(d, 1 - dampening);
            }
            d = nesterov ? d.add(buf, momentum) : buf;
        }
        parameter.add_(d, -lr);
    }
}

/// <summary>
/// Adam (Kingma and Ba), optionally AMSGrad, following PyTorch's update with bias correction; weight_decay adds an
/// L2 term to the gradient (use <see cref="AdamW"/> for decoupled decay).
/// </summary>
public class Adam : Optimizer
{
    private protected Adam(IEnumerable<Tensor> parameters, double lr, (double, double) betas, double eps, double weight_decay, bool amsgrad, bool decoupled)
        : base(parameters, lr, 3)
    {
        var (b1, b2) = betas;
        if (!(b1 >= 0 && b1 < 1)) throw new ArgumentException($"betas.Item1 must be in [0, 1), got {b1}.", nameof(betas));
        if (!(b2 >= 0 && b2 < 1)) throw new ArgumentException($"betas.Item2 must be in [0, 1), got {b2}.", nameof(betas));
        if (!(eps >= 0)) throw new ArgumentException($"eps must be non-negative, got {eps}.", nameof(eps));
        if (!(weight_decay >= 0)) throw new ArgumentException($"weight_decay must be non-negative, got {weight_decay}.", nameof(weight_decay));
        this.betas = betas;
        this.eps = eps;
        this.weight_decay = weight_decay;
        this.amsgrad = amsgrad;
        Decoupled = decoupled;
    }

    internal Adam(IEnumerable<Tensor> parameters, double lr, (double, double) betas, double eps, double weight_decay, bool amsgrad)
        : this(parameters, lr, betas, eps, weight_decay, amsgrad, decoupled: false)
    {
    }

    /// <summary>Decay rates of the first and second moment estimates.</summary>
    public (double beta1, double beta2) betas { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double eps { get; }
    /// <summary>Weight decay: an L2 term in the gradient (Adam) or a decoupled shrink of the parameters (AdamW).</summary>
    public double weight_decay { get; }
    /// <summary>Whether the maximum of past second moments is used (AMSGrad).</summary>
    public bool amsgrad { get; }

    private bool Decoupled { get; }

    // State slots: 0 = first moment, 1 = second moment, 2 = running max of the second moment (AMSGrad).
    // Steps are counted per parameter, as PyTorch does: a parameter without a gradient does not advance.
    private readonly Dictionary<Tensor, long> _steps = new(ReferenceEqualityComparer.Instance);

    private protected override void Update(Tensor parameter, Tensor grad, Tensor?[] state)
    {
        var (b1, b2) = betas;
        long t = _steps.TryGetValue(parameter, out var s) ? s + 1 : 1;
        _steps[parameter] = t;
        if (weight_decay != 0)
        {
            if (Decoupled) parameter.mul_(1 - lr * weight_decay);
            else grad = grad.add(parameter, weight_decay);
        }
        var m = state[0] ??= Keep(torch.zeros_like(parameter));
        var v = state[1] ??= Keep(torch.zeros_like(parameter));
        m.mul_(b1).add_(grad, 1 - b1);
        v.mul_(b2).addcmul_(grad, grad, 1 - b2);
        double biasCorrection1 = 1 - Math.Pow(b1, t);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(b2, t));
        Tensor second = v;
        if (amsgrad)
        {
            var vmax = state[2] ??= Keep(torch.zeros_like(parameter));
            vmax.copy_(vmax.maximum(v));
            second = vmax;
        }
        var denom = second.sqrt().div(biasCorrection2Sqrt).add(eps);
        parameter.addcdiv_(m, denom, -lr / biasCorrection1);
    }
}

/// <summary>AdamW (Loshchilov and Hutter): Adam with decoupled weight decay p ← p·(1 − lr·wd) before the Adam step.</summary>
public sealed class AdamW : Adam
{
    internal AdamW(IEnumerable<Tensor> parameters, double lr, (double, double) betas, double eps, double weight_decay, bool amsgrad)
        : base(parameters, lr, betas, eps, weight_decay, amsgrad, decoupled: true)
    {
    }
}
