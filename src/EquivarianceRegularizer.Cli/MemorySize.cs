using System.Globalization;
using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Cli;

/// <summary>Reads sizes of memory as the command line takes them: a number and a unit, MB or GB (binary: 1 GB = 1024 MB).</summary>
internal static partial class MemorySize
{
    /// <summary>Bytes of <paramref name="text"/> ("2GB", "1.5 GB", "512MB"; also "2G", "512M", "GiB", "MiB").</summary>
    /// <exception cref="ArgumentException">Not a positive number followed by MB or GB; the message names <paramref name="option"/>.</exception>
    public static long Parse(string text, string option)
    {
        ArgumentNullException.ThrowIfNull(text);
        var m = Pattern().Match(text.Trim());
        if (!m.Success || !double.TryParse(m.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) || !(n > 0) || !double.IsFinite(n))
            throw new ArgumentException($"{option} must be a size such as 2GB or 512MB, got '{text}'.");
        double bytes = n * (char.ToUpperInvariant(m.Groups["u"].Value[0]) == 'G' ? 1L << 30 : 1L << 20);
        return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
    }

    [GeneratedRegex(@"^(?<n>[0-9]+(\.[0-9]+)?)\s*(?<u>[MmGg])(i?[Bb])?$")]
    private static partial Regex Pattern();
}
