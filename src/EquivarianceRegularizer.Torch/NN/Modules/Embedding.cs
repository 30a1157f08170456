using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// A lookup table: int64 indices → rows of <see cref="weight"/> (num_embeddings × embedding_dim, initialised N(0, 1)).
/// The row at <see cref="padding_idx"/>, when given, starts at zero and receives no gradient.
/// </summary>
public sealed class Embedding : torch.nn.Module<Tensor, Tensor>
{
    internal Embedding(long num_embeddings, long embedding_dim, long? padding_idx, ScalarType? dtype, Generator? generator) : base(nameof(Embedding))
    {
        Require.Positive(num_embeddings, nameof(num_embeddings));
        Require.Positive(embedding_dim, nameof(embedding_dim));
        if (padding_idx is { } pi)
        {
            if (pi < -num_embeddings || pi >= num_embeddings)
                throw new ArgumentException($"padding_idx must be in [{-num_embeddings}, {num_embeddings}), got {pi}.", nameof(padding_idx));
            padding_idx = pi < 0 ? pi + num_embeddings : pi;
        }
        this.num_embeddings = num_embeddings;
        this.embedding_dim = embedding_dim;
        this.padding_idx = padding_idx;
        var w = torch.zeros(new[] { num_embeddings, embedding_dim }, dtype);
        torch.nn.init.normal_(w, generator: generator);
        if (padding_idx is { } p)
        {
            using var row = w.select(0, p);
            row.zero_();
        }
        register_parameter("weight", w);
    }

    /// <summary>Number of rows.</summary>
    public long num_embeddings { get; }
    /// <summary>Size of each row.</summary>
    public long embedding_dim { get; }
    /// <summary>Index of the padding row, or null.</summary>
    public long? padding_idx { get; }
    /// <summary>The table.</summary>
    public Tensor weight => GetParameter("weight")!;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dtype is not (ScalarType.Int64 or ScalarType.Int32))
            throw new ArgumentException($"Embedding expects int64 or int32 indices, got {input.dtype}.", nameof(input));
        return Ops.Call("embedding", weight, input, padding_idx ?? -1L, false, false);
    }
}
