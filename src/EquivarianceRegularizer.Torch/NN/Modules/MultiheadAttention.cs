namespace EquivarianceRegularizer.Torch.Modules;

/// <summary>
/// Multi-head attention with packed input projections, as torch.nn.MultiheadAttention (key and value have the
/// embedding size of the query). Parameters: in_proj_weight (3E × E, Xavier-uniform), in_proj_bias (3E, zeros) and the
/// child out_proj (a <see cref="Linear"/> E → E whose bias starts at zero), so state_dict keys match PyTorch's.
/// Input: (query, key, value, key_padding_mask) with N × L × E tensors when <see cref="batch_first"/>, else L × N × E;
/// key_padding_mask (N × S, bool, true = ignore that key) may be null. Output: (attention output in the input's layout,
/// attention weights N × L × S averaged over heads). Dropout on the attention weights applies in training mode only.
/// </summary>
public sealed class MultiheadAttention : torch.nn.Module<(Tensor query, Tensor key, Tensor value, Tensor? key_padding_mask), (Tensor output, Tensor weights)>
{
    internal MultiheadAttention(long embed_dim, long num_heads, double dropout, bool hasBias, bool batch_first, ScalarType? dtype, Generator? generator)
        : base(nameof(MultiheadAttention))
    {
        Require.Positive(embed_dim, nameof(embed_dim));
        Require.Positive(num_heads, nameof(num_heads));
        if (embed_dim % num_heads != 0)
            throw new ArgumentException($"embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads}).", nameof(num_heads));
        Require.Probability(dropout, nameof(dropout));
        this.embed_dim = embed_dim;
        this.num_heads = num_heads;
        this.dropout = dropout;
        this.batch_first = batch_first;
        var w = torch.zeros(new[] { 3 * embed_dim, embed_dim }, dtype);
        torch.nn.init.xavier_uniform_(w, generator: generator);
        register_parameter("in_proj_weight", w);
        register_parameter("in_proj_bias", hasBias ? torch.zeros(new[] { 3 * embed_dim }, dtype) : null);
        var outProj = new Linear(embed_dim, embed_dim, hasBias, dtype, generator);
        if (outProj.bias is { } b) torch.nn.init.zeros_(b);
        register_module("out_proj", outProj);
    }

    /// <summary>Embedding size E.</summary>
    public long embed_dim { get; }
    /// <summary>Number of heads (E / num_heads per head).</summary>
    public long num_heads { get; }
    /// <summary>Dropout probability on the attention weights (training mode only).</summary>
    public double dropout { get; }
    /// <summary>Whether inputs and outputs are N × L × E (else L × N × E).</summary>
    public bool batch_first { get; }
    /// <summary>Packed query/key/value projection weights, 3E × E.</summary>
    public Tensor in_proj_weight => GetParameter("in_proj_weight")!;
    /// <summary>Packed projection biases (3E), or null.</summary>
    public Tensor? in_proj_bias => GetParameter("in_proj_bias");
    /// <summary>The output projection.</summary>
    public Linear out_proj => (Linear)named_children().First(c => c.name == "out_proj").module;

    /// <summary>Self- or cross-attention; runs hooks like <c>call((query, key, value, key_padding_mask))</c>.</summary>
    public (Tensor output, Tensor weights) call(Tensor query, Tensor key, Tensor value, Tensor? key_padding_mask = null) =>
        call((query, key, value, key_padding_mask));

    /// <inheritdoc/>
    public override (Tensor output, Tensor weights) forward((Tensor query, Tensor key, Tensor value, Tensor? key_padding_mask) input)
    {
        var (query, key, value, mask) = input;
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        foreach (var (t, name) in new[] { (query, nameof(query)), (key, nameof(key)), (value, nameof(value)) })
        {
            if (t.dim() != 3 || t.size(-1) != embed_dim)
                throw new ArgumentException($"MultiheadAttention expects 3-D {name} with last dimension {embed_dim}, got {Require.Shape(t.shape)}.", nameof(input));
        }
        using var scope = torch.NewDisposeScope();
        Tensor q = batch_first ? query : query.transpose(0, 1);
        Tensor k = batch_first ? key : key.transpose(0, 1);
        Tensor v = batch_first ? value : value.transpose(0, 1);
        if (k.size(0) != q.size(0) || v.size(0) != q.size(0) || k.size(1) != v.size(1))
            throw new ArgumentException($"MultiheadAttention: query {Require.Shape(query.shape)}, key {Require.Shape(key.shape)} and value {Require.Shape(value.shape)} disagree in batch or source length.", nameof(input));
        if (mask is not null && (mask.dim() != 2 || mask.size(0) != q.size(0) || mask.size(1) != k.size(1) || mask.dtype != ScalarType.Bool))
            throw new ArgumentException($"key_padding_mask must be a bool tensor of shape [{q.size(0)}, {k.size(1)}], got {mask.dtype} {Require.Shape(mask.shape)}.", nameof(input));
        var linear = out_proj;
        Tensor output, weights;
        if (dropout > 0 && training)
            (output, weights) = AttendWithDropout(q, k, v, mask, linear);
        else
            (output, weights) = torch.nn.functional.multi_head_attention(q, k, v, num_heads, in_proj_weight, in_proj_bias, linear.weight, linear.bias, mask);
        if (!batch_first) output = output.transpose(0, 1);
        return (output.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }

    // The same computation as functional.multi_head_attention with dropout applied to the attention probabilities
    // (inside the current dispose scope).
    private (Tensor output, Tensor weights) AttendWithDropout(Tensor query, Tensor key, Tensor value, Tensor? mask, Linear outProj)
    {
        long n = query.size(0), l = query.size(1), s = key.size(1), hd = embed_dim / num_heads;
        var w = in_proj_weight.chunk(3, 0);
        var b = in_proj_bias?.chunk(3, 0);
        Tensor Heads(Tensor t, long len) => t.reshape(n, len, num_heads, hd).transpose(1, 2);
        var q = Heads(torch.nn.functional.linear(query, w[0], b?[0]), l);
        var k = Heads(torch.nn.functional.linear(key, w[1], b?[1]), s);
        var v = Heads(torch.nn.functional.linear(value, w[2], b?[2]), s);
        var scores = q.matmul(k.transpose(-2, -1)).div(Math.Sqrt(hd));
        if (mask is not null) scores = scores.masked_fill(mask.view(n, 1, 1, s), double.NegativeInfinity);
        var attn = torch.nn.functional.dropout(scores.softmax(-1), dropout, true);
        var ctx = attn.matmul(v).transpose(1, 2).reshape(n, l, embed_dim);
        return (torch.nn.functional.linear(ctx, outProj.weight, outProj.bias), attn.mean(1));
    }
}
