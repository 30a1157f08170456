namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : torch.nn.Module<Tensor, Tensor>
{
    internal ReLU() : base(nameof(ReLU)) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.relu(input);
}

/// <summary>GELU: x·Φ(x), exactly ("none") or by the tanh approximation ("tanh").</summary>
public sealed class GELU : torch.nn.Module<Tensor, Tensor>
{
    internal GELU(string approximate) : base(nameof(GELU))
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"approximate must be none or tanh, got '{approximate}'.", nameof(approximate));
        this.approximate = approximate;
    }

    /// <summary>"none" or "tanh".</summary>
    public string approximate { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.gelu(input, approximate);
}

/// <summary>tanh.</summary>
public sealed class Tanh : torch.nn.Module<Tensor, Tensor>
{
    internal Tanh() : base(nameof(Tanh)) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.tanh(input);
}

/// <summary>Logistic sigmoid.</summary>
public sealed class Sigmoid : torch.nn.Module<Tensor, Tensor>
{
    internal Sigmoid() : base(nameof(Sigmoid)) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.sigmoid(input);
}

/// <summary>SiLU (swish): x·sigmoid(x).</summary>
public sealed class SiLU : torch.nn.Module<Tensor, Tensor>
{
    internal SiLU() : base(nameof(SiLU)) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.silu(input);
}

/// <summary>Leaky ReLU: x for x ≥ 0, negative_slope·x otherwise.</summary>
public sealed class LeakyReLU : torch.nn.Module<Tensor, Tensor>
{
    internal LeakyReLU(double negative_slope) : base(nameof(LeakyReLU)) => this.negative_slope = negative_slope;

    /// <summary>Slope for negative inputs.</summary>
    public double negative_slope { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.leaky_relu(input, negative_slope);
}

/// <summary>Softmax along <see cref="dim"/>.</summary>
public sealed class Softmax : torch.nn.Module<Tensor, Tensor>
{
    internal Softmax(long dim) : base(nameof(Softmax)) => this.dim = dim;

    /// <summary>The dimension normalized over.</summary>
    public long dim { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.softmax(input, dim);
}

/// <summary>Returns its input unchanged (a new handle to the same data).</summary>
public sealed class Identity : torch.nn.Module<Tensor, Tensor>
{
    internal Identity() : base(nameof(Identity)) { }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Native.Ops.Call("alias", input);
}

/// <summary>Dropout: in training mode zeroes each element with probability p and scales the rest by 1/(1−p); identity in eval mode.</summary>
public sealed class Dropout : torch.nn.Module<Tensor, Tensor>
{
    internal Dropout(double p) : base(nameof(Dropout))
    {
        Require.Probability(p, nameof(p));
        this.p = p;
    }

    /// <summary>Probability of zeroing an element.</summary>
    public double p { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => torch.nn.functional.dropout(input, p, training);
}

/// <summary>Flattens dimensions start_dim..end_dim into one.</summary>
public sealed class Flatten : torch.nn.Module<Tensor, Tensor>
{
    internal Flatten(long start_dim, long end_dim) : base(nameof(Flatten))
    {
        this.start_dim = start_dim;
        this.end_dim = end_dim;
    }

    /// <summary>First dimension flattened.</summary>
    public long start_dim { get; }
    /// <summary>Last dimension flattened.</summary>
    public long end_dim { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => input.flatten(start_dim, end_dim);
}
