namespace EquivarianceRegularizer.Jit;

/// <summary>
/// What <see cref="ScriptTapRewriter.Rewrite(string, string)"/> wrote: the rewritten archive, what it could not
/// tap and why, and the tables <see cref="TappedScriptModule"/> needs to name the taps.
/// </summary>
internal sealed class ScriptTapRewriteResult
{
    internal ScriptTapRewriteResult(string rewrittenPath, IReadOnlyList<string> untapped, int tappedCallSites, TimeSpan elapsed,
        string entryMethodName, string copyingEntryMethodName, string addingEntryMethodName, IReadOnlyList<string> sitePaths, IReadOnlyList<ScriptTapMethodInfo> methods)
    {
        RewrittenPath = rewrittenPath;
        Untapped = untapped;
        TappedCallSites = tappedCallSites;
        Elapsed = elapsed;
        EntryMethodName = entryMethodName;
        CopyingEntryMethodName = copyingEntryMethodName;
        AddingEntryMethodName = addingEntryMethodName;
        SitePaths = sitePaths;
        Methods = methods;
    }

    /// <summary>The rewritten archive: the original's entries, with a tapped twin of each reached method added to the source.</summary>
    public string RewrittenPath { get; }

    /// <summary>
    /// Child calls left as they were, one sentence each, naming the call and why (for instance a child whose type is a
    /// module interface with no source in the archive). Calls inside loops, branches and early returns are tapped, so
    /// they never appear here. Empty when every child call reachable from forward is tapped.
    /// </summary>
    public IReadOnlyList<string> Untapped { get; }

    /// <summary>How many child call sites in the source were rewritten to record taps.</summary>
    public int TappedCallSites { get; }

    /// <summary>How long reading, rewriting and writing the archive took.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The method added to the root class: same arguments as forward; returns [output, events, tap tensors...].</summary>
    internal string EntryMethodName { get; }

    /// <summary>Like <see cref="EntryMethodName"/>, but the tap tensors are copies made as each call saw them.</summary>
    internal string CopyingEntryMethodName { get; }

    /// <summary>Forward's arguments, then a list of addends (one per forward call in completion order; empty: none) and whether taps are copies.</summary>
    internal string AddingEntryMethodName { get; }

    /// <summary>The dotted attribute path, relative to its caller, of each call site id.</summary>
    internal IReadOnlyList<string> SitePaths { get; }

    /// <summary>What each tapped method id records.</summary>
    internal IReadOnlyList<ScriptTapMethodInfo> Methods { get; }
}
