using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>A loss: a module of (input, target) giving a tensor; call it as <c>loss.call(input, target)</c>.</summary>
public abstract class Loss : torch.nn.Module<(Tensor input, Tensor target), Tensor>
{
    private protected Loss(string name, string reduction) : base(name)
    {
        if (reduction is not ("none" or "mean" or "sum"))
            throw new ArgumentException($"reduction must be none, mean or sum, got '{reduction}'.", nameof(reduction));
        this.reduction = reduction;
    }

    /// <summary>none, mean or sum.</summary>
    public string reduction { get; }

    private protected long ReductionCode => reduction switch { "none" => 0, "mean" => 1, _ => 2 };

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/> (runs hooks).</summary>
    public Tensor call(Tensor input, Tensor target) => call((input, target));

    /// <inheritdoc/>
    public override Tensor forward((Tensor input, Tensor target) input)
    {
        ArgumentNullException.ThrowIfNull(input.input, nameof(input));
        ArgumentNullException.ThrowIfNull(input.target, nameof(input));
        return forward(input.input, input.target);
    }

    /// <summary>The computation.</summary>
    public abstract Tensor forward(Tensor input, Tensor target);
}

/// <summary>
/// Cross-entropy between logits (N × C, or N × C × d…) and int64 class indices (N, or N × d…), with optional per-class
/// weights, an ignored index and label smoothing.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    internal CrossEntropyLoss(Tensor? weight, long ignore_index, string reduction, double label_smoothing) : base(nameof(CrossEntropyLoss), reduction)
    {
        if (!(label_smoothing >= 0 && label_smoothing <= 1))
            throw new ArgumentException($"label_smoothing must be in [0, 1], got {label_smoothing}.", nameof(label_smoothing));
        if (weight is not null && weight.dim() != 1)
            throw new ArgumentException($"weight must be 1-D (one entry per class), got {Require.Shape(weight.shape)}.", nameof(weight));
        this.ignore_index = ignore_index;
        this.label_smoothing = label_smoothing;
        register_buffer("weight", weight?.detach());
    }

    /// <summary>Per-class weights, or null.</summary>
    public Tensor? weight => GetBuffer("weight");
    /// <summary>Target value that contributes nothing.</summary>
    public long ignore_index { get; }
    /// <summary>Amount of probability mass spread uniformly over the classes.</summary>
    public double label_smoothing { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.dim() < 1) throw new ArgumentException("CrossEntropyLoss needs logits of at least 1 dimension.", nameof(input));
        if (target.dtype is ScalarType.Int64)
        {
            var si = input.shape;
            var st = target.shape;
            bool ok = si.Length == 1 ? st.Length == 0 : st.Length == si.Length - 1 && st[0] == si[0] && st.AsSpan(1).SequenceEqual(si.AsSpan(2));
            if (!ok)
                throw new ArgumentException($"CrossEntropyLoss: class-index target {Require.Shape(st)} does not fit logits {Require.Shape(si)}.", nameof(target));
        }
        else if (!target.dtype.IsFloatingPoint())
        {
            throw new ArgumentException($"CrossEntropyLoss expects int64 class indices or float probabilities as target, got {target.dtype}.", nameof(target));
        }
        return Ops.Call("cross_entropy_loss", input, target, weight, ReductionCode, ignore_index, label_smoothing);
    }
}

/// <summary>Mean squared error (or its sum, or the elementwise squares, by reduction).</summary>
public sealed class MSELoss : Loss
{
    internal MSELoss(string reduction) : base(nameof(MSELoss), reduction) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!input.shape.AsSpan().SequenceEqual(target.shape))
            throw new ArgumentException($"MSELoss: input {Require.Shape(input.shape)} and target {Require.Shape(target.shape)} differ in shape.", nameof(target));
        return Ops.Call("mse_loss", input, target, ReductionCode);
    }
}
