using System.Globalization;
using System.Text;

namespace EquivarianceRegularizer.Reports;

/// <summary>Number and cell formatting shared by every report (audit and Lie; text, Markdown, HTML).</summary>
internal static class ReportFormat
{
    /// <summary>A number in short scientific form ("n/a" for NaN, "inf", "0").</summary>
    public static string N(double v) =>
        double.IsNaN(v) ? "n/a" : double.IsPositiveInfinity(v) ? "inf" : v == 0 ? "0" : v.ToString("0.###e+0", CultureInfo.InvariantCulture);

    /// <summary>A size in MiB, or GiB from 1 GiB up ("70.3 MiB", "2 GiB").</summary>
    public static string Bytes(long bytes) => bytes >= 1L << 30
        ? FormattableString.Invariant($"{bytes / (double)(1L << 30):0.##} GiB")
        : FormattableString.Invariant($"{bytes / (double)(1L << 20):0.#} MiB");

    /// <summary>
    /// <paramref name="s"/> with every character that could change how a report reads replaced by a visible escape:
    /// control characters (NUL, ESC, which starts terminal escape sequences, DEL, the C1 range), line and paragraph
    /// separators, and the bidirectional formatting characters (U+202E and its kin, which reorder what a reader sees).
    /// Newlines become <c>\n</c> unless <paramref name="keepNewlines"/> (a whole rendered report, whose own lines they are).
    /// </summary>
    public static string Printable(string s, bool keepNewlines = false)
    {
        ArgumentNullException.ThrowIfNull(s);
        int first = 0;
        while (first < s.Length && !NeedsEscape(s[first], keepNewlines)) first++;
        if (first == s.Length) return s;
        var sb = new StringBuilder(s.Length + 16).Append(s, 0, first);
        for (int i = first; i < s.Length; i++)
        {
            char c = s[i];
            if (!NeedsEscape(c, keepNewlines)) sb.Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else sb.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    private static bool NeedsEscape(char c, bool keepNewlines) =>
        c switch
        {
            '\n' => !keepNewlines,
            '\t' => !keepNewlines,
            < ' ' => true,
            >= '\u007F' and <= '\u009F' => true,
            '\u061C' or '\u200E' or '\u200F' or '\u2028' or '\u2029' => true,
            >= '\u202A' and <= '\u202E' => true,
            >= '\u2066' and <= '\u2069' => true,
            _ => false,
        };
}
