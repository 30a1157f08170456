using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// What every phase of one audit shares: the model, the symmetry, the options, the generator, the dtype and
/// thresholds chosen by <see cref="SetupPhase"/>, the masks chosen by <see cref="InputsPhase"/>, and the notes.
/// </summary>
internal sealed class AuditContext(ObservedModel model, Symmetry spec, AuditOptions options, Generator generator)
{
    public ObservedModel Model => model;

    public Symmetry Spec => spec;

    public AuditOptions Options => options;

    public Generator Generator => generator;

    /// <summary>Notes on how the audit ran, in the order they were made.</summary>
    public List<string> Notes { get; } = new();

    /// <summary>The dtype the model runs in (float64 during the precision re-run).</summary>
    public ScalarType DType { get; set; }

    public Thresholds Thresholds { get; set; } = Thresholds.Float32;

    /// <summary>The disk inputs are restricted to when the transform interpolates.</summary>
    public Tensor? InputMask { get; set; }

    /// <summary>The (smaller) disk spatial outputs are compared in when the transform interpolates.</summary>
    public Tensor? OutputMask { get; set; }

    /// <summary>True when the input transform interpolates (not exact on the pixel grid).</summary>
    public bool IsInterpolating => spec.Input is IContinuousTransform { IsExactOnGrid: false };

    /// <summary>The output mask applied to <paramref name="y"/> when its spatial size matches, else <paramref name="y"/>.</summary>
    public Tensor Masked(Tensor y) =>
        OutputMask is { } m && y.Rank() >= 3 && y.size(y.Rank() - 2) == m.size(0) && y.size(y.Rank() - 1) == m.size(1) ? y * m : y;

    /// <summary>The model's output for float64 inputs, run in <see cref="DType"/> without gradients, as float64.</summary>
    /// <remarks>
    /// Where one sample's forward holds more inside its layers than they take in and give out (an attention over pixel
    /// tokens), the samples run in pieces that fit a quarter of the memory budget.
    /// </remarks>
    public Tensor Forward(Tensor x64)
    {
        using var _ = no_grad();
        long n = x64.size(0), rows = RowsPerForward(x64);
        if (rows >= n) return ForwardWhole(x64);
        using var scope = NewDisposeScope();
        var pieces = new List<Tensor>();
        for (long start = 0; start < n; start += rows) pieces.Add(ForwardWhole(x64.narrow(0, start, Math.Min(rows, n - start))));
        return cat(pieces, 0).MoveToOuterDisposeScope();
    }

    private Tensor ForwardWhole(Tensor x64)
    {
        using var xin = x64.to(DType, model.Device);
        using var y = ModelRunErrors.Run(() => model.Forward(xin), xin, options);
        return y.to(ScalarType.Float64, x64.device, copy: true);
    }

    // Samples per forward: all of them, unless one sample's forward holds more inside its layers than its calls' inputs
    // and outputs (then as many as a quarter of the budget holds). Train mode runs the batch whole (batch statistics), and
    // so does a model that cannot run one sample alone.
    private long RowsPerForward(Tensor x64)
    {
        if (x64.Rank() == 0 || x64.size(0) < 2) return long.MaxValue;
        var (capture, inside) = MeasurableBytesPerSample(x64);
        if (inside <= capture) return long.MaxValue;
        return Math.Max(1, options.MemoryBudgetBytes / 4 / (capture + inside));
    }

    /// <summary>The model's output and every layer call, named by occurrence ("conv", "conv#2", …: <see cref="ModuleCall.Name"/>).</summary>
    public (Tensor Output, List<(string Name, ModuleCall Capture)> Layers) Capture(Tensor x64)
    {
        using var _ = no_grad();
        var xin = x64.to(DType);
        var observed = model.Observe(xin);
        return (observed.Output, observed.Calls.Select(c => (c.Name, c)).ToList());
    }

    private (long Capture, long Inside)? _bytesPerSample;
    private bool _oneSampleFails;

    /// <summary>
    /// <see cref="ObservedModel.BytesOfOneSample"/> of the first sample of <paramref name="x64"/>, measured once.
    /// </summary>
    public (long Capture, long Inside) BytesPerSample(Tensor x64)
    {
        if (_bytesPerSample is { } known) return known;
        using var one = x64.narrow(0, 0, 1).to(DType, model.Device);
        return (_bytesPerSample = model.BytesOfOneSample(one)).Value;
    }

    /// <summary>
    /// <see cref="BytesPerSample"/>, or (0, 0) in train mode (a forward would move batch statistics) and for a model that
    /// cannot run one sample alone (a fixed batch size in its code).
    /// </summary>
    public (long Capture, long Inside) MeasurableBytesPerSample(Tensor x64)
    {
        if (model.Training || _oneSampleFails) return (0, 0);
        try { return BytesPerSample(x64); }
        catch (Exception e) when (IsActionFailure(e))
        {
            _oneSampleFails = true;
            return (0, 0);
        }
    }

    /// <summary>True for the exceptions libtorch and the transforms raise when an action does not fit a tensor.</summary>
    public static bool IsActionFailure(Exception e) =>
        e is ArgumentException or InvalidOperationException or System.Runtime.InteropServices.ExternalException;
}
