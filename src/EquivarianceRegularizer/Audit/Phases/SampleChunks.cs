namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// How the layer-wise isolation and the gradient test walk the samples: in chunks whose every-layer activations fit
/// <see cref="AuditOptions.MemoryBudgetBytes"/>. A whole-model capture of one sample measures the bytes per sample;
/// a chunk may hold <see cref="WorkingCopies"/> such captures in what the budget leaves beside the process's resident
/// memory. Per-sample results do not depend on the chunking in eval mode; in train mode (batch statistics couple the
/// samples) the samples run together.
/// </summary>
internal sealed class SampleChunks
{
    /// <summary>
    /// Whole-model captures of a chunk alive at once, counted in the float32 bytes of one capture: the layer phase holds
    /// the untransformed capture and one transformed one while the forward making the next runs (≈ 3); the gradient
    /// test holds the autograd graph, the captured copies and the gradient of every layer output (≈ 4).
    /// </summary>
    public const double WorkingCopies = 4;

    private SampleChunks(long samples, long size, long bytesPerSample)
    {
        Samples = samples;
        Size = size;
        BytesPerSample = bytesPerSample;
    }

    /// <summary>Number of samples walked.</summary>
    public long Samples { get; }

    /// <summary>Samples per chunk (the last may hold fewer).</summary>
    public long Size { get; }

    /// <summary>
    /// Bytes of one sample's whole-model capture (every layer call's input and output), plus a <see cref="WorkingCopies"/>th
    /// of what its forward holds inside the layers beyond that (an attention's weights).
    /// </summary>
    public long BytesPerSample { get; }

    /// <summary>Number of chunks.</summary>
    public int Count => (int)((Samples + Size - 1) / Size);

    /// <summary>The chunks as (first sample, number of samples).</summary>
    public IEnumerable<(long Start, long Length)> Ranges
    {
        get
        {
            for (long s = 0; s < Samples; s += Size) yield return (s, Math.Min(Size, Samples - s));
        }
    }

    /// <summary>One chunk of everything: for callers that hold no budget (tests of single phases).</summary>
    public static SampleChunks Whole(long samples) => new(samples, Math.Max(1, samples), 0);

    /// <summary>Chunks for the samples <paramref name="xs"/>, sized from one sample's capture; records a note on <paramref name="ctx"/>.</summary>
    public static SampleChunks Plan(AuditContext ctx, Tensor xs)
    {
        long n = xs.size(0);
        // A forward can hold far more inside its calls than they take in and give out (an attention's weights): the
        // gradient test holds that beside the captures.
        var (capture, inside) = ctx.BytesPerSample(xs);
        long perSample = capture + (long)(inside / WorkingCopies);
        long budget = ctx.Options.MemoryBudgetBytes;
        // What the process already holds (libtorch, the model's weights, the inputs) is not for the chunks.
        long resident = Environment.WorkingSet;
        long fits = ctx.Options.SamplesPerChunk ?? Fit(perSample, budget, resident);
        string size = Mib(capture) + (inside > capture ? $" (and its forward holds {Mib(inside)} more inside the layers)" : "");
        if (ctx.Model.Training)
        {
            ctx.Notes.Add($"Layers and gradients: the {n} samples run together because train mode couples them (batch statistics); every layer's activations take {size} per sample"
                + (fits < n ? $", so this likely exceeds the memory budget of {Mib(budget)} (about {Mib((long)(WorkingCopies * perSample * n) + resident)}): audit in eval mode or with fewer samples to stay within it." : "."));
            return new SampleChunks(n, n, perSample);
        }
        long chunk = Math.Clamp(fits, 1, n);
        if (chunk < n)
            ctx.Notes.Add($"Layers and gradients: {n} samples in {(n + chunk - 1) / chunk} chunks of at most {chunk} (every layer's activations take {size} per sample; memory budget {Mib(budget)}).");
        if (fits < 1)
            ctx.Notes.Add($"One sample's activations ({size}, about {Mib((long)(WorkingCopies * perSample))} while processed) do not fit the memory budget of {Mib(budget)} beside the {Mib(resident)} the process holds: the audit runs one sample at a time and exceeds the budget; raise it.");
        return new SampleChunks(n, chunk, perSample);
    }

    /// <summary>
    /// Samples whose processing fits: what <paramref name="budget"/> leaves beside <paramref name="resident"/> bytes (at
    /// least an eighth of the budget) over <see cref="WorkingCopies"/> captures of <paramref name="perSample"/> bytes.
    /// </summary>
    internal static long Fit(long perSample, long budget, long resident)
    {
        long available = Math.Max(budget / 8, budget - resident);
        return perSample > 0 ? (long)(available / (WorkingCopies * perSample)) : long.MaxValue;
    }

    private static string Mib(long bytes) => EquivarianceRegularizer.Reports.ReportFormat.Bytes(bytes);
}
