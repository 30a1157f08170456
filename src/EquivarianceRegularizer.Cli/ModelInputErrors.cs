using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Cli;

/// <summary>
/// Explains libtorch's complaints about an input the model cannot take in terms of --input-shape: a wrong rank
/// ("the model expects N,C,H,W input; --input-shape gave 2 dimensions") or a wrong channel count, instead of what the
/// first layer's kernel says about the batch-extended tensor it was handed.
/// </summary>
internal static partial class ModelInputErrors
{
    /// <summary>The explanation, or null when <paramref name="message"/> is not about the input's rank or channels.</summary>
    public static string? Explain(string message, long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (BatchedRank().Match(message) is { Success: true } r)
            return Rank(int.Parse(r.Groups["batched"].Value, System.Globalization.CultureInfo.InvariantCulture), r.Groups["op"].Value, sampleShape);
        if (Channels().Match(message) is { Success: true } c)
        {
            int weightRank = c.Groups["weight"].Value.Split(',').Length;
            if (sampleShape.Length + 1 != weightRank) return Rank(weightRank, "convolution", sampleShape);
            string expected = c.Groups["expected"].Value;
            return $"the model's first convolution expects {expected} input channel{(expected == "1" ? "" : "s")}; --input-shape gave {sampleShape[0]} (C comes first: C,H,W).";
        }
        if (Padding().IsMatch(message))
            return $"the model's padding cannot take inputs of {sampleShape.Length} dimensions ([{string.Join(",", sampleShape)}] per sample); check --input-shape (C,H,W for images, without the batch axis).";
        return null;
    }

    private static string Rank(int batchedRank, string op, long[] sampleShape)
    {
        string axes = batchedRank switch { 3 => "N,C,L", 4 => "N,C,H,W", 5 => "N,C,D,H,W", _ => $"{batchedRank}-dimensional" };
        return $"the model expects {axes} input (its first {op} layer); --input-shape gave {sampleShape.Length} dimension{(sampleShape.Length == 1 ? "" : "s")} "
               + $"([{string.Join(",", sampleShape)}]; give every axis but the batch axis N, e.g. {string.Join(",", axes.Split(',').Skip(1))}).";
    }

    [GeneratedRegex(@"Expected \d+D \(unbatched\) or (?<batched>\d+)D \(batched\) input to (?<op>\w+)")]
    private static partial Regex BatchedRank();

    [GeneratedRegex(@"weight of size \[(?<weight>[\d, ]+)\], expected input\[[\d, ]+\] to have (?<expected>\d+) channels")]
    private static partial Regex Channels();

    [GeneratedRegex(@"[Pp]adding (size|length|value)|Only 2D, 3D, 4D, 5D padding|[Ee]xpected \d+D or \d+D \(batch mode\) tensor")]
    private static partial Regex Padding();
}
