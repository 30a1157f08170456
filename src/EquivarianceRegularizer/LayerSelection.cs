using System.Text.RegularExpressions;

namespace EquivarianceRegularizer;

/// <summary>
/// Which layers a report looks at, by dotted name: the layers <see cref="Include"/> names (all when empty) less
/// those <see cref="Exclude"/> names. A pattern is a name or a glob (<c>*</c> any run of characters, <c>?</c> one) and
/// also takes every layer inside the one it names: <c>layer1</c> selects <c>layer1</c>, <c>layer1.0.conv1</c>, ….
/// A second call's suffix (<c>relu#2</c>) is ignored for matching. The audit's <c>--include-layers</c> and
/// <c>--exclude-layers</c> and those of <c>eqv lie</c> mean the same.
/// </summary>
public sealed class LayerSelection
{
    private readonly Regex[] _include, _exclude;

    /// <summary>Every layer.</summary>
    public static LayerSelection All { get; } = new(Array.Empty<string>(), Array.Empty<string>());

    /// <summary>Selects the layers matching one of <paramref name="include"/> (every layer when empty) and none of <paramref name="exclude"/>.</summary>
    /// <exception cref="ArgumentException">A pattern is empty.</exception>
    public LayerSelection(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(include);
        ArgumentNullException.ThrowIfNull(exclude);
        Include = include.ToList();
        Exclude = exclude.ToList();
        _include = Include.Select(p => Compile(p, nameof(include))).ToArray();
        _exclude = Exclude.Select(p => Compile(p, nameof(exclude))).ToArray();
    }

    /// <summary>The include patterns (empty: every layer).</summary>
    public IReadOnlyList<string> Include { get; }

    /// <summary>The exclude patterns.</summary>
    public IReadOnlyList<string> Exclude { get; }

    /// <summary>True when no pattern is given.</summary>
    public bool IsAll => Include.Count == 0 && Exclude.Count == 0;

    /// <summary>Whether layer <paramref name="name"/> is selected.</summary>
    public bool Selects(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string plain = name.Split('#')[0];
        return (_include.Length == 0 || _include.Any(r => r.IsMatch(plain))) && !_exclude.Any(r => r.IsMatch(plain));
    }

    /// <summary>"layers matching …, except …" for reports; null when every layer is selected.</summary>
    public string? Describe() => IsAll ? null
        : (Include.Count > 0 ? $"layers matching {string.Join(", ", Include)}" : "every layer")
          + (Exclude.Count > 0 ? $", except those matching {string.Join(", ", Exclude)}" : "");

    /// <summary>Splits a comma-separated option value into patterns (empty entries dropped).</summary>
    public static IReadOnlyList<string> Patterns(string? text) =>
        string.IsNullOrWhiteSpace(text) ? Array.Empty<string>() : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static Regex Compile(string pattern, string parameter)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            throw new ArgumentException("A layer pattern is empty; give dotted layer names or globs such as layer1 or *.bn1.", parameter);
        string body = Regex.Escape(pattern.Trim()).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal);
        // The layer itself or anything inside it.
        return new Regex($"^{body}(\\..*)?$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
