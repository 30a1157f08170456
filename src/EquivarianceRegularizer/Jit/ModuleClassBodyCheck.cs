namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Rejects a Module class body holding an assignment without a type annotation (e.g. <c>  __parameters_W = []</c>).
/// libtorch 1.13's importer dereferenced a null type for such a line (a segmentation fault, found by fuzzing with
/// recomputed CRCs; src/native/jit.cpp at a3082e2); torch.jit.save never writes one, so it is damage, caught here
/// before libtorch parses it in-process.
/// </summary>
internal static class ModuleClassBodyCheck
{
    private static readonly string[] Allowed = ["__parameters__", "__buffers__", "__forward_hooks__", "__forward_pre_hooks__", "__constants__"];

    public static void Check(string record, string text, ZipDirectoryReader reader)
    {
        bool inModuleClass = false;
        int depth = 0; // brackets left open by earlier lines: the statement continues while > 0
        int number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            bool statementStart = depth == 0;
            foreach (char c in line)
            {
                if (c is '(' or '[' or '{') depth++;
                else if (c is ')' or ']' or '}' && depth > 0) depth--;
            }
            if (!statementStart || line.Length == 0) continue;
            if (line[0] != ' ')
            {
                inModuleClass = line.StartsWith("class ", StringComparison.Ordinal) && line.Contains("(Module):", StringComparison.Ordinal);
                continue;
            }
            if (!inModuleClass || line.Length < 3 || line[1] != ' ' || line[2] == ' ') continue; // class level only
            var statement = line[2..];
            if (statement.StartsWith("def ", StringComparison.Ordinal) || statement[0] == '@' || statement.StartsWith("__annotations__[", StringComparison.Ordinal)) continue;
            int eq = statement.IndexOf('=', StringComparison.Ordinal), colon = statement.IndexOf(':', StringComparison.Ordinal);
            if (eq < 0 || (colon >= 0 && colon < eq)) continue; // `name : T [= v]`
            int targetEnd = statement.IndexOfAny([' ', '=']);
            var target = statement[..targetEnd];
            if (Allowed.Contains(target)) continue;
            throw reader.Corrupt($"'{record}' line {number} assigns class attribute '{target}' without a type annotation, which torch.jit.save never writes (damaged code)");
        }
    }
}
