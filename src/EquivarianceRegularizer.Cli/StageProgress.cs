using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace EquivarianceRegularizer.Cli;

/// <summary>
/// Progress of a command's stages on standard error: a Spectre progress bar (with time left) on a terminal; plain
/// lines "eqv: [2/4] rotate: 1.3 s (0.77/s, ~2.6 s left)" when piped. A disabled instance writes nothing.
/// </summary>
internal sealed class StageProgress
{
    private readonly TextWriter _lines;
    private readonly IAnsiConsole? _terminal;

    public StageProgress(TextWriter lines, IAnsiConsole? terminal)
    {
        _lines = lines;
        _terminal = terminal;
    }

    private static string S(double seconds) => seconds.ToString(seconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Runs one stage whose length is not known in advance (a spinner on a terminal; two lines when piped).</summary>
    public T Stage<T>(string name, Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        T result = default!;
        if (_terminal is not null)
        {
            _terminal.Status().Start(name + "…", _ => result = work());
            _terminal.MarkupLine(Markup.Escape($"eqv: {name}: done in {S(clock.Elapsed.TotalSeconds)}"));
            return result;
        }
        _lines.WriteLine($"eqv: {name}…");
        result = work();
        _lines.WriteLine($"eqv: {name}: done in {S(clock.Elapsed.TotalSeconds)}");
        return result;
    }

    /// <summary>Runs <paramref name="work"/> on each item, with its count, rate and time left.</summary>
    public void Steps<T>(string name, IReadOnlyList<T> items, Func<T, string> label, Action<T> work)
    {
        var clock = Stopwatch.StartNew();
        if (_terminal is not null)
        {
            _terminal.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(p =>
                {
                    var task = p.AddTask(Markup.Escape(name), maxValue: items.Count);
                    foreach (var item in items)
                    {
                        task.Description = Markup.Escape($"{name}: {label(item)}");
                        work(item);
                        task.Increment(1);
                    }
                });
            _terminal.MarkupLine(Markup.Escape($"eqv: {name}: {items.Count} done in {S(clock.Elapsed.TotalSeconds)}"));
            return;
        }
        _lines.WriteLine($"eqv: {name}: {items.Count} to do");
        for (int i = 0; i < items.Count; i++)
        {
            var stepClock = Stopwatch.StartNew();
            work(items[i]);
            double total = clock.Elapsed.TotalSeconds, rate = (i + 1) / Math.Max(total, 1e-9);
            double left = (items.Count - i - 1) / rate;
            _lines.WriteLine(FormattableString.Invariant(
                $"eqv: {name} [{i + 1}/{items.Count}] {label(items[i])}: {S(stepClock.Elapsed.TotalSeconds)} ({rate:0.##}/s, ~{S(left)} left)"));
        }
    }
}
