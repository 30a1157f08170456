using TorchSharp;

namespace EquivarianceRegularizer.Jit;

/// <summary>
/// Turns what a tapped forward returned, <c>[output, events, tap tensors...]</c>, into <see cref="ScriptTap"/>s.
/// Events are <c>1, site, method</c> when a child call opens and <c>2</c> when it closes; a call's name is the
/// sites of the calls open around it joined with dots. Taps come in closing order, which is the order PyTorch's
/// forward hooks fire (children before parents).
/// </summary>
internal static class ScriptTapDecoder
{
    private const long Open = 1, Close = 2;

    public static (torch.Tensor Output, IReadOnlyList<ScriptTap> Taps) Decode(torch.Tensor[] results, ScriptTapRewriteResult tables)
    {
        if (results.Length < 2 || results[1].dtype != torch.ScalarType.Int64)
            throw new InvalidOperationException("The tapped forward returned something other than [output, events, taps...]; the archive was not rewritten by this version of ScriptTapRewriter.");
        long[] events;
        using (var eventTensor = results[1]) events = eventTensor.data<long>().ToArray();
        var taps = new List<ScriptTap>();
        var open = new List<(string Path, ScriptTapMethodInfo Method, torch.Tensor? Input)>();
        int next = 2;
        torch.Tensor? Take(bool captured) => !captured ? null : next < results.Length ? results[next++] : throw Corrupt();
        for (int i = 0; i < events.Length;)
        {
            if (events[i] == Open && i + 2 < events.Length)
            {
                var method = tables.Methods[checked((int)events[i + 2])];
                open.Add((tables.SitePaths[checked((int)events[i + 1])], method, Take(method.CapturesInput)));
                i += 3;
            }
            else if (events[i] == Close && open.Count > 0)
            {
                var (path, method, input) = open[^1];
                open.RemoveAt(open.Count - 1);
                var output = Take(method.CapturesOutput);
                i++;
                if (!method.IsForward)
                {
                    input?.Dispose();
                    output?.Dispose();
                    continue;
                }
                string name = string.Join('.', open.Select(o => o.Path).Append(path));
                taps.Add(new ScriptTap(name, method.TypeName, input, output) { SkipReason = method.Note });
            }
            else throw Corrupt();
        }
        if (open.Count > 0 || next != results.Length) throw Corrupt();
        return (results[0], taps);
    }

    private static InvalidOperationException Corrupt() =>
        new("The tapped forward's events do not match its tensors; the rewritten archive and its tables are out of step. Rewrite the archive again.");
}
