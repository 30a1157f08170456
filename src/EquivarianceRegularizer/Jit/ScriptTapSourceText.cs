using System.Text;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Small scanners over printed TorchScript: they skip string literals, so that an error message quoting
/// code (<c>"(x).forward("</c>) is never rewritten, and they split on separators outside brackets only.
/// </summary>
internal static class ScriptTapSourceText
{
    /// <summary>
    /// The value of a string literal's body as PyTorch's printer writes it (C-style escapes: <c>\n</c>, <c>\t</c>,
    /// <c>\\</c>, <c>\"</c>, three-digit octal such as <c>\033</c>; other characters raw, UTF-8 included), so that a
    /// child named in <c>getattr(self, "…")</c> gets the name <c>named_modules</c> gives it.
    /// </summary>
    public static string Unescape(string body)
    {
        if (!body.Contains('\\', StringComparison.Ordinal)) return body;
        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\' || i + 1 == body.Length) { sb.Append(c); continue; }
            char e = body[++i];
            if (e is >= '0' and <= '7')
            {
                int value = 0, digits = 0;
                while (digits < 3 && i < body.Length && body[i] is >= '0' and <= '7') { value = value * 8 + (body[i++] - '0'); digits++; }
                i--;
                sb.Append((char)value);
                continue;
            }
            sb.Append(e switch
            {
                'n' => '\n', 't' => '\t', 'r' => '\r', 'a' => '\a', 'b' => '\b', 'f' => '\f', 'v' => '\v',
                _ => e,
            });
        }
        return sb.ToString();
    }

    /// <summary>Splits <paramref name="text"/> on <paramref name="separator"/> outside brackets and strings; trims the parts, drops empty ones.</summary>
    public static List<string> SplitTopLevel(string text, char separator)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\'' or '"') { i = SkipString(text, i); continue; }
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
            else if (c == separator && depth == 0)
            {
                parts.Add(text[start..i].Trim());
                start = i + 1;
            }
        }
        parts.Add(text[start..].Trim());
        parts.RemoveAll(p => p.Length == 0);
        return parts;
    }

    /// <summary>The index of the bracket closing the one at <paramref name="open"/>, or -1 if it does not close.</summary>
    public static int MatchingClose(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\'' or '"') { i = SkipString(text, i); continue; }
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}' && --depth == 0) return i;
        }
        return -1;
    }

    /// <summary>Bracket depth at the end of <paramref name="text"/> (positive while a bracket is open).</summary>
    public static int Depth(string text)
    {
        int depth = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\'' or '"') { i = SkipString(text, i); continue; }
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}') depth--;
        }
        return depth;
    }

    /// <summary>Applies <paramref name="rewrite"/> to the parts of <paramref name="line"/> outside string literals.</summary>
    public static string RewriteOutsideStrings(string line, Func<string, string> rewrite)
    {
        var result = new StringBuilder(line.Length + 32);
        int start = 0;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] is not ('\'' or '"')) continue;
            result.Append(rewrite(line[start..i]));
            int end = SkipString(line, i);
            result.Append(line, i, end - i + 1);
            start = end + 1;
            i = end;
        }
        if (start < line.Length) result.Append(rewrite(line[start..]));
        return result.ToString();
    }

    // The printer writes one-line literals with backslash escapes; returns the index of the closing quote.
    private static int SkipString(string text, int open)
    {
        char quote = text[open];
        for (int i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '\\') i++;
            else if (text[i] == quote) return i;
        }
        return text.Length - 1;
    }
}
