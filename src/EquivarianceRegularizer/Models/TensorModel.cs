namespace EquivarianceRegularizer.Models;

/// <summary>
/// A TorchSharp model with one tensor in and one tensor out, as the library takes it: an
/// <c>nn.Module&lt;Tensor, Tensor&gt;</c> of your own or a TorchScript <c>jit.ScriptModule&lt;Tensor, Tensor&gt;</c>.
/// Both convert implicitly, so pass your model as it is. The model is invoked with <c>call</c>, so its hooks fire.
/// </summary>
public sealed class TensorModel
{
    private readonly Func<Tensor, Tensor> _call;

    private TensorModel(nn.Module module, Func<Tensor, Tensor> call)
    {
        Module = module;
        _call = call;
    }

    /// <summary>The module (parameters, buffers, children, train/eval, dtype and device).</summary>
    public nn.Module Module { get; }

    /// <summary>Whether the model is a TorchScript module.</summary>
    public bool IsScript => Module is jit.ScriptModule;

    /// <summary>Runs the model on <paramref name="input"/> (with hooks, like <c>module.call</c>).</summary>
    public Tensor call(Tensor input) => _call(input);

    /// <summary>Wraps a TorchSharp module.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is null.</exception>
    public static TensorModel From(nn.Module<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new TensorModel(module, module.call);
    }

    /// <summary>Wraps a TorchScript module loaded with <c>torch.jit.load&lt;Tensor, Tensor&gt;</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="module"/> is null.</exception>
    public static TensorModel From(jit.ScriptModule<Tensor, Tensor> module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return new TensorModel(module, module.call);
    }

    /// <summary>Wraps a TorchSharp module.</summary>
    public static implicit operator TensorModel(nn.Module<Tensor, Tensor> module) => From(module);

    /// <summary>Wraps a TorchScript module.</summary>
    public static implicit operator TensorModel(jit.ScriptModule<Tensor, Tensor> module) => From(module);

    /// <summary>The dtype of the model's floating-point parameters and buffers (float32 when it has none).</summary>
    public ScalarType DType =>
        Module.parameters().Select(p => p.dtype).Concat(Module.buffers().Select(b => b.dtype))
            .Where(d => d.IsFloatingPoint()).DefaultIfEmpty(ScalarType.Float32).First();

    /// <summary>The device of the model's parameters and buffers (the CPU when it has none).</summary>
    public Device Device =>
        Module.parameters().Select(p => p.device).Concat(Module.buffers().Select(b => b.device)).DefaultIfEmpty(CPU).First();
}
