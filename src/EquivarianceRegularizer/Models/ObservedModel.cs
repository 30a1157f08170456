using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Jit;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// A model whose submodule calls can be observed: the one seam through which the audit, the layer-wise Lie derivative
/// and the CLI see a model. Two implementations: <see cref="HookedModel"/> (TorchSharp modules, forward hooks) and
/// <see cref="TappedModel"/> (TorchScript archives, the taps of a rewritten archive). Both name calls the same way
/// (<see cref="ModuleCall.Name"/>), copy what each call saw as it saw it, and offer zero probes as gradient targets.
/// </summary>
internal abstract class ObservedModel
{
    /// <summary>The model's type or file name, for reports.</summary>
    public abstract string Name { get; }

    /// <summary>The model as a <see cref="TensorModel"/> (its plain forward, parameters, buffers).</summary>
    public abstract TensorModel Model { get; }

    /// <summary>The dtype of the model's floating-point parameters (float32 when it has none).</summary>
    public ScalarType DType => Model.DType;

    /// <summary>The device the model runs on.</summary>
    public Device Device => Model.Device;

    /// <summary>Whether the model is in training mode.</summary>
    public bool Training => Model.Module.training;

    /// <summary>Sets training (true) or evaluation (false) mode.</summary>
    public void SetTraining(bool training) => Model.Module.train(training);

    private ModuleDtypeConversion? _conversion;

    /// <summary>Converts parameters and buffers to <paramref name="dtype"/>.</summary>
    /// <remarks>The model's own Parameter and buffer objects are kept aside, not replaced: converting back to the
    /// model's original dtype puts those very objects back, so an optimizer built on them steps normally afterwards.</remarks>
    public void ConvertTo(ScalarType dtype)
    {
        _conversion?.Dispose();
        _conversion = null;
        if (DType != dtype) _conversion = ModuleDtypeConversion.Convert(Model.Module, dtype);
    }

    /// <summary>Runs the model (nothing observed).</summary>
    public Tensor Forward(Tensor x) => Model.call(x);

    /// <summary>
    /// What the first sample of <paramref name="x"/> takes: the bytes of its whole-model capture (every call's input and
    /// output, and the output), and what its forward holds inside the calls beyond that (<see cref="GraphBytesOfOneSample"/>
    /// less the capture: an attention's weights).
    /// </summary>
    public (long Capture, long Inside) BytesOfOneSample(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        long capture;
        using (NewDisposeScope())
        using (no_grad())
            capture = Observe(OneSample(x)).CapturedBytes;
        return (capture, Math.Max(0, GraphBytesOfOneSample(x) - capture));
    }

    /// <summary>
    /// Resident bytes that the first sample of <paramref name="x"/> holds while its forward's autograd graph lives (the
    /// tensors saved for the backward: an attention's weights, every activation a layer keeps), measured as the growth of
    /// the process's resident memory after the C heap is trimmed. The inputs and outputs of module calls miss what a call
    /// allocates inside itself (an attention over H·W pixel tokens holds (H·W)² weights per head); this does not. 0 where
    /// the growth cannot be seen (the heap reused free pages), and in train mode (a forward would move batch statistics).
    /// </summary>
    public long GraphBytesOfOneSample(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (Training) return 0;
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var one = OneSample(x);
        if (one.is_floating_point()) one.requires_grad_(true);
        Audit.Phases.HeapTrim.Now();
        long before = Environment.WorkingSet;
        using var y = Forward(one);
        long after = Environment.WorkingSet;
        return Math.Max(0, after - before);
    }

    // A copy of the first sample, as the caller runs the model on it.
    private static Tensor OneSample(Tensor x) => x.narrow(0, 0, 1).detach().clone();

    /// <summary>
    /// Runs the model once on <paramref name="x"/> and returns its output with every submodule call, in completion
    /// order, parents linked. Copies and probes belong to the caller's dispose scope.
    /// </summary>
    /// <param name="x">The model's input.</param>
    /// <param name="probes">Add a zero probe leaf to every floating-point call output (<see cref="ModuleCall.GradientTarget"/>),
    /// so gradients with respect to each call's output can be taken from one backward pass; needs grad mode on.</param>
    public abstract ObservedForward Observe(Tensor x, bool probes = false);

    /// <summary>
    /// Runs the model with <paramref name="addend"/> added to the output of call number <paramref name="call"/> (its
    /// index in <see cref="ObservedForward.Calls"/> for the same input): with a forward-mode dual zero as the addend,
    /// the output's tangent is that call's output tangent pushed forward to the model's output.
    /// </summary>
    public Tensor ForwardAdding(Tensor x, int call, Tensor addend)
    {
        ArgumentNullException.ThrowIfNull(addend);
        return ForwardAdding(x, new Dictionary<int, Tensor> { [call] = addend });
    }

    /// <summary>
    /// Runs the model with <paramref name="addends"/>[k] added to the output of call number k, for every k given (the
    /// other calls run unchanged): with dual zeros as addends, one forward-mode pass pushes several calls' tangents at once.
    /// </summary>
    public abstract Tensor ForwardAdding(Tensor x, IReadOnlyDictionary<int, Tensor> addends);

    /// <summary>Every declared submodule (the root excluded), so that uncalled ones can be listed.</summary>
    public abstract IReadOnlyList<LayerInfo> DeclaredLayers { get; }

    /// <summary>A function running submodule <paramref name="module"/> (a dotted path) alone on one tensor, or null when it cannot be called that way.</summary>
    public abstract Func<Tensor, Tensor>? LayerFunction(string module);

    /// <summary>The live parameter and buffer tensors (for snapshots and re-initialisation).</summary>
    public IEnumerable<(string Name, Tensor Tensor, bool IsParameter)> State() =>
        Model.Module.named_parameters().Select(p => (p.name, (Tensor)p.parameter, true))
            .Concat(Model.Module.named_buffers().Select(b => (b.name, b.buffer, false)));

    /// <summary>A TorchSharp model observed with forward hooks.</summary>
    public static ObservedModel Of(TensorModel model, string? name = null) => new HookedModel(model, name);

    /// <summary>A TorchScript model observed through the taps of its rewritten archive.</summary>
    public static ObservedModel Of(TappedScriptModule model, string name) => new TappedModel(model, name);

    // TorchSharp exposes no data pointer to compare observed copies with x and y: equal shape and exactly equal
    // values stand in for identity.
    internal static bool SameValues(Tensor? a, Tensor? b)
    {
        if (a is null || b is null || !a.shape.AsSpan().SequenceEqual(b.shape) || a.dtype != b.dtype) return false;
        using var _ = no_grad();
        using var equal = a.eq(b).all();
        return equal.item<bool>();
    }
}
