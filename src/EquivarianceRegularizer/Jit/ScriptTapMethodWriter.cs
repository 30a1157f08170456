using System.Globalization;
using System.Text.RegularExpressions;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Writes, for each method reachable from the root's <c>forward</c>, a tapped twin that runs the same body but
/// passes two lists down every module call: tensors (inputs and outputs of child calls) and integer events
/// (<c>1, site, method</c> when a child call opens, <c>2</c> when it closes), plus a list of addends and a counter:
/// when forward call number k (in completion order) returns and the k-th addend is not empty, the addend is added to
/// its output before anyone uses it (a zero probe for gradients, a forward-mode dual zero for a pushed tangent; the
/// sum is a new tensor, so in-place operations after the call never touch the probe). Names travel as integer site ids,
/// since a script module's <c>invoke</c> passes no strings and one class may serve several children. Recording
/// happens at run time, so calls inside loops, branches and early returns are tapped as they run.
/// </summary>
internal sealed partial class ScriptTapMethodWriter
{
    private readonly IReadOnlyDictionary<string, ScriptTapSourceClass> classes;
    private readonly string p;
    private readonly Dictionary<(string Class, string Path), int> siteIds = new();
    private readonly Dictionary<(string Class, string Method), int> methodIds = new();
    private readonly Queue<(ScriptTapSourceClass Class, ScriptTapSourceMethod Method, int Id)> pending = new();

    /// <param name="classes">Every module class in the archive, by qualified name.</param>
    /// <param name="prefix">A prefix no name in the archive's source starts with, for the names the rewrite adds.</param>
    public ScriptTapMethodWriter(IReadOnlyDictionary<string, ScriptTapSourceClass> classes, string prefix)
    {
        this.classes = classes;
        p = prefix;
    }

    /// <summary>The dotted attribute path of each site id.</summary>
    public List<string> SitePaths { get; } = new();

    /// <summary>What each method id records.</summary>
    public List<ScriptTapMethodInfo> Methods { get; } = new();

    /// <summary>Calls left as they were, and why.</summary>
    public List<string> Untapped { get; } = new();

    /// <summary>The lines to append to each class, keyed by class.</summary>
    public Dictionary<ScriptTapSourceClass, List<string>> AddedLines { get; } = new();

    /// <summary>How many child call sites were rewritten.</summary>
    public int TappedCallSites { get; private set; }

    /// <summary>The name of the entry method added to the root class whose taps are the forward's own tensors.</summary>
    public string EntryMethodName => p + "forward_with_taps";

    /// <summary>The name of the entry method whose taps are copies made when the call saw them.</summary>
    public string CopyingEntryMethodName => p + "forward_with_tap_copies";

    /// <summary>The name of the entry method taking addends: forward's arguments, then the addends and whether taps are copies.</summary>
    public string AddingEntryMethodName => p + "forward_adding";

    /// <summary>Writes the entry method into <paramref name="root"/> and the tapped twins of all it reaches.</summary>
    public void WriteFrom(ScriptTapSourceClass root)
    {
        if (!root.Methods.TryGetValue("forward", out var forward))
            throw new NotSupportedException($"The model's root class '{root.Name}' has no forward method in the archive's source; it cannot be tapped.");
        if (forward.ReturnType != "Tensor")
            throw new NotSupportedException($"The model's forward returns {forward.ReturnType}; taps need a forward that returns one Tensor.");
        Request(root, "forward");
        while (pending.Count > 0)
        {
            var (cls, method, id) = pending.Dequeue();
            Lines(cls).AddRange(Tapped(cls, method, id));
        }
        Lines(root).AddRange(Entry(forward, EntryMethodName, copy: false));
        Lines(root).AddRange(Entry(forward, CopyingEntryMethodName, copy: true));
        Lines(root).AddRange(Entry(forward, AddingEntryMethodName, copy: null));
    }

    // Same arguments as forward (then, for the adding entry, the addends and whether taps are copies); returns
    // [output, events (int64), tap tensors...] since invoke returns a tensor list whole.
    private IEnumerable<string> Entry(ScriptTapSourceMethod forward, string name, bool? copy)
    {
        var names = string.Join("", forward.Parameters.Select(x => x.Name + ", "));
        var parameters = string.Join("", forward.Parameters.Select(x => ", " + x.Text));
        string extra = copy is null ? $", {p}z: List[Tensor], {p}copy: bool" : "";
        yield return $"  def {name}({forward.SelfParameter}{parameters}{extra}) -> List[Tensor]:";
        yield return $"    {p}t = annotate(List[Tensor], [])";
        yield return $"    {p}e = annotate(List[int], [])";
        if (copy is not null) yield return $"    {p}z = annotate(List[Tensor], [])";
        yield return $"    {p}n = [0]";
        string copies = copy switch { null => p + "copy", true => "True", false => "False" };
        yield return $"    {p}out = (self).{p}forward({p}t, {p}e, -1, {copies}, {p}z, {p}n, {names})";
        yield return $"    {p}all = [{p}out, torch.tensor({p}e, dtype=4)]";
        yield return $"    {p}all.extend({p}t)";
        yield return $"    return {p}all";
    }

    // Appends a tap tensor: the tensor itself (stays on the autograd path) or, when asked, a copy (immune to later in-place ops).
    private IEnumerable<string> Append(string indent, string tensor)
    {
        yield return $"{indent}if {p}c:";
        yield return $"{indent}  {p}t.append(torch.clone({tensor}))";
        yield return $"{indent}else:";
        yield return $"{indent}  {p}t.append({tensor})";
    }

    private List<string> Lines(ScriptTapSourceClass cls)
    {
        if (!AddedLines.TryGetValue(cls, out var lines)) AddedLines[cls] = lines = new List<string>();
        return lines;
    }

    // The id of cls.method's tapped twin; queues the twin for writing the first time it is asked for.
    private int Request(ScriptTapSourceClass cls, string methodName)
    {
        if (methodIds.TryGetValue((cls.QualifiedName, methodName), out int id)) return id;
        var method = cls.Methods[methodName];
        id = Methods.Count;
        methodIds[(cls.QualifiedName, methodName)] = id;
        Methods.Add(Describe(cls, method));
        pending.Enqueue((cls, method, id));
        return id;
    }

    private int SiteId(ScriptTapSourceClass cls, string path)
    {
        if (siteIds.TryGetValue((cls.QualifiedName, path), out int id)) return id;
        id = SitePaths.Count;
        siteIds[(cls.QualifiedName, path)] = id;
        SitePaths.Add(path);
        return id;
    }

    private static ScriptTapMethodInfo Describe(ScriptTapSourceClass cls, ScriptTapSourceMethod method)
    {
        var notes = new List<string>();
        var args = method.Parameters;
        bool input = args.Count > 0 && args[0].Type == "Tensor";
        if (args.Count == 0) notes.Add($"{method.Name} takes no arguments, so Input is null");
        else if (!input) notes.Add($"its first argument '{args[0].Name}' is {args[0].Type}, not a Tensor, so Input is null");
        else if (args.Count > 1) notes.Add($"{method.Name} takes {args.Count} arguments ({string.Join(", ", args.Select(a => a.Name))}); Input holds the first");
        string ret = method.ReturnType;
        bool output = ret == "Tensor" || IsTupleStartingWithTensor(ret);
        if (!output) notes.Add($"it returns {ret}, not a Tensor, so Output is null");
        else if (ret != "Tensor") notes.Add($"it returns {ret}; Output holds the first element");
        return new ScriptTapMethodInfo(cls.Name, method.Name, method.IsForward, input, output,
            notes.Count == 0 ? null : $"{cls.Name}.{method.Name}: {string.Join("; ", notes)}.");
    }

    private static bool IsTupleStartingWithTensor(string type) =>
        type.StartsWith("Tuple[", StringComparison.Ordinal) && type.EndsWith(']')
        && ScriptTapSourceText.SplitTopLevel(type[6..^1], ',').FirstOrDefault() == "Tensor";

    private IEnumerable<string> Tapped(ScriptTapSourceClass cls, ScriptTapSourceMethod method, int id)
    {
        var info = Methods[id];
        var parameters = string.Join("", method.Parameters.Select(x => ", " + x.Text));
        yield return $"  def {p}{method.Name}({method.SelfParameter}, {p}t: List[Tensor], {p}e: List[int], {p}site: int, {p}c: bool, {p}z: List[Tensor], {p}n: List[int]{parameters}) -> {method.ReturnType}:";
        yield return $"    if {p}site >= 0:";
        yield return $"      {p}e.append(1)";
        yield return $"      {p}e.append({p}site)";
        yield return $"      {p}e.append({id.ToString(CultureInfo.InvariantCulture)})";
        if (info.CapturesInput) foreach (var line in Append("      ", method.Parameters[0].Name)) yield return line;
        var locals = new Dictionary<string, ChildLocal>(StringComparer.Ordinal);
        int returns = 0;
        foreach (var line in method.Body)
        {
            var ret = Return().Match(line);
            if (!ret.Success)
            {
                Bind(line, cls, locals);
                yield return RewriteCalls(line, cls, locals);
                continue;
            }
            string indent = ret.Groups[1].Value, result = $"{p}r{returns++}";
            string expression = ret.Groups[2].Success ? RewriteCalls(ret.Groups[2].Value, cls, locals) : "None";
            yield return $"{indent}{result} : {method.ReturnType} = {expression}";
            yield return $"{indent}if {p}site >= 0:";
            if (info.IsForward)
            {
                yield return $"{indent}  {p}k = {p}n[0]";
                yield return $"{indent}  {p}n[0] = {p}k + 1";
                if (info.CapturesOutput)
                {
                    yield return $"{indent}  if {p}k < len({p}z):";
                    yield return $"{indent}    if bool({p}z[{p}k].numel() > 0):";
                    yield return $"{indent}      {result} = {Added(result, method.ReturnType, $"{p}z[{p}k]")}";
                }
            }
            if (info.CapturesOutput) foreach (var append in Append(indent + "  ", result + (method.ReturnType == "Tensor" ? "" : "[0]"))) yield return append;
            yield return $"{indent}  {p}e.append(2)";
            yield return $"{indent}return {result}";
        }
    }

    // The result with the addend added to its tensor (a tuple's first element; the tuple rebuilt with its other elements).
    private static string Added(string result, string returnType, string addend)
    {
        if (returnType == "Tensor") return $"{result} + {addend}";
        int count = ScriptTapSourceText.SplitTopLevel(returnType[6..^1], ',').Count;
        var rest = Enumerable.Range(1, count - 1).Select(i => $", {result}[{i.ToString(CultureInfo.InvariantCulture)}]");
        return $"({result}[0] + {addend}{string.Concat(rest)})";
    }

    // Tracks locals bound to children (`conv = self.conv`, `_0 = getattr(self, "0")`, `b = a.b`).
    private void Bind(string line, ScriptTapSourceClass cls, Dictionary<string, ChildLocal> locals)
    {
        var m = AttributeBinding().Match(line);
        if (!m.Success) m = GetattrBinding().Match(line);
        if (!m.Success) return;
        string name = m.Groups[1].Value, owner = m.Groups[2].Value, attribute = ScriptTapSourceText.Unescape(m.Groups[3].Value);
        locals.Remove(name);
        ScriptTapSourceClass? ownerClass;
        string path;
        if (owner == "self") (ownerClass, path) = (cls, attribute);
        else if (locals.TryGetValue(owner, out var parent)) (ownerClass, path) = (parent.Class, $"{parent.Path}.{attribute}");
        else return;
        if (ownerClass is null || !ownerClass.AttributeTypes.TryGetValue(attribute, out var type)) return;
        if (classes.TryGetValue(type, out var child)) locals[name] = new ChildLocal(path, child, type);
        else if (type.StartsWith("__torch__.", StringComparison.Ordinal)) locals[name] = new ChildLocal(path, null, type);
    }

    private string RewriteCalls(string line, ScriptTapSourceClass cls, Dictionary<string, ChildLocal> locals) =>
        ScriptTapSourceText.RewriteOutsideStrings(line, code => Call().Replace(code, m =>
        {
            string receiver = m.Groups[1].Value, method = m.Groups[2].Value;
            if (receiver == "self")
            {
                if (!cls.Methods.ContainsKey(method)) return m.Value;
                Request(cls, method);
                return $"(self).{p}{method}({p}t, {p}e, -1, {p}c, {p}z, {p}n, ";
            }
            if (!locals.TryGetValue(receiver, out var child)) return m.Value;
            if (child.Class is null || !child.Class.Methods.ContainsKey(method))
            {
                string why = child.Class is null ? $"its type {child.Type} has no source in the archive (a module interface?)" : $"{child.Class.Name} has no method '{method}' in the archive's source";
                string note = $"{cls.Name} calls '{child.Path}.{method}' untapped: {why}; that call and the calls inside it give no taps.";
                if (!Untapped.Contains(note)) Untapped.Add(note);
                return m.Value;
            }
            int site = SiteId(cls, child.Path);
            Request(child.Class, method);
            TappedCallSites++;
            return $"({receiver}).{p}{method}({p}t, {p}e, {site.ToString(CultureInfo.InvariantCulture)}, {p}c, {p}z, {p}n, ";
        }));

    private sealed record ChildLocal(string Path, ScriptTapSourceClass? Class, string Type);

    [GeneratedRegex(@"^(\s+)return(?: (.+))?$")]
    private static partial Regex Return();

    [GeneratedRegex(@"^\s+(\w+) = (\w+)\.(\w+)$")]
    private static partial Regex AttributeBinding();

    [GeneratedRegex(@"^\s+(\w+) = getattr\((\w+), ""([^""]+)""\)$")]
    private static partial Regex GetattrBinding();

    [GeneratedRegex(@"\((\w+)\)\.(\w+)\(")]
    private static partial Regex Call();
}
