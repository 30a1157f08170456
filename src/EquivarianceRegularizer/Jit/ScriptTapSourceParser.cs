using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Reads the module classes out of one <c>code/**.py</c> file of a TorchScript archive. The file is what
/// PyTorch's Python printer wrote: two-space indentation, one statement a line, signatures one parameter a
/// line; anything that is not a module class (free functions, named tuples, interfaces) is left unread.
/// </summary>
internal static partial class ScriptTapSourceParser
{
    /// <summary>Parses the module classes of one source file.</summary>
    /// <param name="lines">The file's lines.</param>
    /// <param name="modulePath">The file's module path, e.g. <c>__torch__.torch.nn.modules.conv</c>.</param>
    /// <param name="entryName">The zip entry, kept for messages and for writing the file back.</param>
    public static List<ScriptTapSourceClass> Parse(string[] lines, string modulePath, string entryName)
    {
        var classes = new List<ScriptTapSourceClass>();
        for (int i = 0; i < lines.Length; i++)
        {
            var header = ClassHeader().Match(lines[i]);
            if (!header.Success) continue;
            int end = i + 1;
            while (end < lines.Length && (lines[end].StartsWith("  ", StringComparison.Ordinal) || lines[end].Length == 0)) end++;
            var cls = new ScriptTapSourceClass(header.Groups[1].Value, $"{modulePath}.{header.Groups[1].Value}", entryName, end);
            ReadMembers(lines, i + 1, end, cls);
            classes.Add(cls);
            i = end - 1;
        }
        return classes;
    }

    private static void ReadMembers(string[] lines, int start, int end, ScriptTapSourceClass cls)
    {
        for (int j = start; j < end;)
        {
            string line = lines[j];
            if (line.StartsWith("  def ", StringComparison.Ordinal))
            {
                j = ReadMethod(lines, j, end, cls);
                continue;
            }
            var attribute = Attribute().Match(line);
            if (attribute.Success) cls.AttributeTypes[attribute.Groups[1].Value] = attribute.Groups[2].Value.Trim();
            var numbered = NumberedAttribute().Match(line);
            if (numbered.Success) cls.AttributeTypes[ScriptTapSourceText.Unescape(numbered.Groups[1].Value)] = numbered.Groups[2].Value.Trim();
            j++;
        }
    }

    // Returns the index of the first line after the method.
    private static int ReadMethod(string[] lines, int start, int end, ScriptTapSourceClass cls)
    {
        int j = start;
        string signature = lines[j];
        while (ScriptTapSourceText.Depth(signature) > 0 && j + 1 < end) signature += "\n" + lines[++j];
        int bodyStart = ++j;
        while (j < end && (lines[j].StartsWith("    ", StringComparison.Ordinal) || lines[j].Length == 0)) j++;
        var method = ParseSignature(signature, lines[bodyStart..j]);
        if (method is not null) cls.Methods[method.Name] = method;
        return j;
    }

    private static ScriptTapSourceMethod? ParseSignature(string signature, string[] body)
    {
        var name = MethodName().Match(signature);
        if (!name.Success) return null;
        int open = signature.IndexOf('(', StringComparison.Ordinal);
        int close = ScriptTapSourceText.MatchingClose(signature, open);
        if (close < 0) return null;
        var parameters = ScriptTapSourceText.SplitTopLevel(signature[(open + 1)..close], ',');
        if (parameters.Count == 0 || !parameters[0].StartsWith("self", StringComparison.Ordinal)) return null;
        string tail = signature[(close + 1)..].Trim();
        string returnType = tail.StartsWith("->", StringComparison.Ordinal) ? tail[2..].TrimEnd(':').Trim() : "NoneType";
        var parsed = parameters.Skip(1).Select(ParseParameter).ToList();
        return new ScriptTapSourceMethod(name.Groups[1].Value, parameters[0], parsed, returnType, body);
    }

    private static ScriptTapSourceParameter ParseParameter(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return new ScriptTapSourceParameter(text.Split('=')[0].Trim(), "Tensor", text);
        var typeAndDefault = ScriptTapSourceText.SplitTopLevel(text[(colon + 1)..], '=');
        return new ScriptTapSourceParameter(text[..colon].Trim(), typeAndDefault.Count > 0 ? typeAndDefault[0] : "", text);
    }

    [GeneratedRegex(@"^class (\w+)\(Module\):\s*$")]
    private static partial Regex ClassHeader();

    [GeneratedRegex(@"^  (\w+) : (.+)$")]
    private static partial Regex Attribute();

    [GeneratedRegex(@"^  __annotations__\[""([^""]+)""\] = (.+)$")]
    private static partial Regex NumberedAttribute();

    [GeneratedRegex(@"^  def (\w+)\(")]
    private static partial Regex MethodName();
}
