namespace EquivarianceRegularizer.Audit.Reports;

/// <summary>
/// How the reports arrange a big model's layers: grouped by block (the first component of the dotted name, as
/// <c>layer1</c> holds <c>layer1.0.conv1</c>), and ranked by their own error, largest first.
/// </summary>
internal static class LayerViews
{
    /// <summary>Layers in the ranked view of the reports.</summary>
    public const int RankedCount = 15;

    /// <summary>The block a layer belongs to: its name up to the first dot ("layer1.0.relu#2" → "layer1").</summary>
    public static string Block(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string plain = name.Split('#')[0];
        int dot = plain.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? plain : plain[..dot];
    }

    /// <summary>
    /// The layers in blocks, in the order of the model's calls. Consecutive blocks of one layer each (a stem's
    /// <c>conv1</c>, <c>bn1</c>, <c>relu</c>) share one group, named by its first and last layer.
    /// </summary>
    public static List<(string Title, List<LayerResult> Layers)> Blocks(IReadOnlyList<LayerResult> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var order = new List<string>();
        var members = new Dictionary<string, List<LayerResult>>(StringComparer.Ordinal);
        foreach (var l in layers)
        {
            string b = Block(l.Name);
            if (!members.TryGetValue(b, out var list)) { members[b] = list = new List<LayerResult>(); order.Add(b); }
            list.Add(l);
        }
        var groups = new List<(string, List<LayerResult>)>();
        var singles = new List<LayerResult>();
        void Flush()
        {
            if (singles.Count == 0) return;
            groups.Add((singles.Count == 1 ? singles[0].Name : $"{singles[0].Name} … {singles[^1].Name}", singles.ToList()));
            singles.Clear();
        }
        foreach (var b in order)
        {
            var list = members[b];
            if (list.Count == 1) { singles.Add(list[0]); continue; }
            Flush();
            groups.Add((b, list));
        }
        Flush();
        return groups;
    }

    /// <summary>Tested layers with a positive own error, largest first (ties in call order), at most <paramref name="count"/>.</summary>
    public static List<LayerResult> Ranked(IReadOnlyList<LayerResult> layers, int count = RankedCount)
    {
        ArgumentNullException.ThrowIfNull(layers);
        // Containers judged by their modules repeat a module's number: the module itself is ranked.
        return layers.Where(l => l.Tested && l.Method != "children" && !(l.OwnMaxRelative <= 0))
            .Select((l, i) => (l, i))
            .OrderByDescending(p => double.IsNaN(p.l.OwnMaxRelative) ? double.PositiveInfinity : p.l.OwnMaxRelative).ThenBy(p => p.i)
            .Take(count).Select(p => p.l).ToList();
    }

    /// <summary>The worst verdict among <paramref name="layers"/> ("FAIL" before "NEEDS_ATTENTION" before "PASS"; "NOT_TESTED" when none was tested).</summary>
    public static string Worst(IEnumerable<LayerResult> layers)
    {
        var tested = layers.Where(l => l.Grade is not null).ToList();
        if (tested.Count == 0) return "NOT_TESTED";
        return Thresholds.VerdictOf(tested.Max(l => l.Grade!.Value)).Label();
    }
}
