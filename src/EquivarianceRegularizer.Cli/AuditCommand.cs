using System.CommandLine;
using System.Globalization;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Models;
using TorchSharp;
using static TorchSharp.torch;
using EquivarianceRegularizer.Transforms;
using Spectre.Console;

namespace EquivarianceRegularizer.Cli;

/// <summary>`eqv audit MODEL.pt …`: audits a TorchScript model and exits 0 PASS, 1 FAIL, 3 NEEDS_ATTENTION, 2 bad usage.</summary>
public static class AuditCommand
{
    /// <summary>Exit code of PASS.</summary>
    public const int ExitPass = 0;
    /// <summary>Exit code of FAIL.</summary>
    public const int ExitFail = 1;
    /// <summary>Exit code of bad usage or unreadable input.</summary>
    public const int ExitUsage = 2;
    /// <summary>Exit code of NEEDS_ATTENTION.</summary>
    public const int ExitNeedsAttention = 3;

    /// <summary>Builds the command; results and errors go to <paramref name="console"/> and <paramref name="stderr"/>.</summary>
    public static Command Create(IAnsiConsole console, TextWriter stderr)
    {
        var model = new Argument<string>("MODEL") { Description = "TorchScript model file (torch.jit.save)." };
        var inputShape = new Option<string>("--input-shape") { Description = "Per-sample input shape without the batch axis, e.g. 1,28,28.", Required = true };
        var transform = new Option<string>("--transform", "-t") { Description = "Input transform: " + string.Join(", ", TransformNames.Known) + ".", Required = true };
        var output = new Option<string>("--output") { Description = "Output action: invariant (default), equivariant (same transform), or a transform name.", DefaultValueFactory = _ => "invariant" };
        var samples = new Option<int>("--samples", "-n") { Description = "Number of input samples (default 32).", DefaultValueFactory = _ => 32 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for inputs and group elements (default 0)." };
        var dtype = new Option<string?>("--dtype") { Description = "Run the model in float32 or float64 (default: the model's own dtype)." };
        var bounds = new Option<string>("--bounds") { Description = "Bounds LO,HI of the uniform random inputs (default 0,1).", DefaultValueFactory = _ => "0,1" };
        var layers = new Option<bool>("--layers") { Description = "Test every layer in isolation and name the first failing one." };
        var gradient = new Option<bool>("--gradient") { Description = "Test equivariance of input gradients." };
        var trainMode = new Option<bool>("--train-mode") { Description = "Evaluate in train mode (default: eval mode)." };
        var randomInit = new Option<bool>("--random-init") { Description = "Also audit the same architecture freshly initialised, for comparison." };
        var json = new Option<string?>("--json") { Description = "Write the JSON report to PATH." };
        var html = new Option<string?>("--html") { Description = "Write the self-contained HTML report to PATH." };
        var markdown = new Option<string?>("--markdown") { Description = "Write the Markdown report to PATH." };
        var text = new Option<string?>("--text") { Description = "Write the plain-text report to PATH." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the verdict line." };
        var lee = new Option<string?>("--lee") { Description = "Also measure the layer-wise Lie-derivative error (LEE) along a continuous transform (translate-x, rotate, scale, …) and plot it in the HTML report." };

        var command = new Command("audit", "Audit a TorchScript model for invariance or equivariance under a transform.")
        {
            model, inputShape, transform, output, samples, seed, dtype, bounds, layers, gradient, trainMode, randomInit, json, html, markdown, text, quiet, lee,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(model)!;
            long[] shape;
            ScalarType? type;
            (double, double) lohi;
            try
            {
                shape = ParseShape(parse.GetValue(inputShape)!);
                type = ParseDType(parse.GetValue(dtype));
                lohi = ParseBounds(parse.GetValue(bounds)!);
                if (parse.GetValue(samples) < 1) throw new ArgumentException("--samples must be at least 1.");
            }
            catch (ArgumentException e) { return Usage(stderr, e.Message); }
            if (!File.Exists(path)) return Usage(stderr, $"model file '{path}' does not exist.");

            SymmetrySpec spec;
            try
            {
                var t = TransformNames.Parse(parse.GetValue(transform)!, shape);
                spec = TransformNames.Symmetry(t, parse.GetValue(output)!, shape);
            }
            catch (ArgumentException e) { return Usage(stderr, e.Message); }

            EquivarianceRegularizer.Jit.TappedScriptModule tapped;
            try { tapped = ModelFiles.LoadTapped(path); }
            catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                return Usage(stderr, $"cannot read model '{path}': {FirstLine(e.Message)}");
            }
            using (tapped)
            {
                IContinuousTransform? leeTransform = null;
                if (parse.GetValue(lee) is { Length: > 0 } leeName)
                {
                    try { leeTransform = ContinuousTransforms.Create(leeName); }
                    catch (ArgumentException e) { return Usage(stderr, "--lee: " + FirstLine(e.Message)); }
                }
                var options = new AuditOptions
                {
                    InputShape = shape,
                    Samples = parse.GetValue(samples),
                    Seed = parse.GetValue(seed),
                    DType = type,
                    Bounds = lohi,
                    // The flags add to the library's defaults (AuditOptions.Default), so eqv audit and Auditor.Audit agree.
                    Layers = parse.GetValue(layers) || AuditOptions.Default.Layers,
                    Gradient = parse.GetValue(gradient) || AuditOptions.Default.Gradient,
                    Mode = parse.GetValue(trainMode) ? EvaluationMode.Train : EvaluationMode.Eval,
                    RandomInitBaseline = parse.GetValue(randomInit),
                    ModelName = Path.GetFileName(path),
                    LeeTransform = leeTransform,
                };
                AuditReport report;
                try
                {
                    report = RunWithStatus(console, () => Auditor.Audit(new ScriptAuditModel(tapped, Path.GetFileName(path)), spec, options));
                }
                catch (ArgumentException e) { return Usage(stderr, FirstLine(e.Message)); }
                catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or NotSupportedException or InvalidOperationException)
                {
                    return Usage(stderr, $"the model could not run on inputs of shape [{string.Join(",", shape)}]: {FirstLine(e.Message)}");
                }
                if (report.LieNote is { } leeNote) stderr.WriteLine("eqv: note: " + FirstLine(leeNote));
                try
                {
                    Write(parse.GetValue(json), JsonReport.Render(report));
                    Write(parse.GetValue(html), HtmlReport.Render(report));
                    Write(parse.GetValue(markdown), MarkdownReport.Render(report));
                    Write(parse.GetValue(text), ReportText.Render(report));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return Usage(stderr, $"cannot write report: {FirstLine(e.Message)}");
                }
                Show(console, report, parse.GetValue(quiet));
                return report.Verdict switch
                {
                    Verdict.Pass => ExitPass,
                    Verdict.NeedsAttention => ExitNeedsAttention,
                    _ => ExitFail,
                };
            }
        });
        return command;
    }

    private static T RunWithStatus<T>(IAnsiConsole console, Func<T> work)
    {
        if (!console.Profile.Capabilities.Interactive) return work();
        T result = default!;
        console.Status().Start("Auditing…", _ => result = work());
        return result;
    }

    private static void Write(string? path, string content)
    {
        if (string.IsNullOrEmpty(path)) return;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, content);
    }

    internal static int Usage(TextWriter stderr, string message)
    {
        stderr.WriteLine("eqv: " + FirstLine(message));
        return ExitUsage;
    }

    private static string FirstLine(string s) => ErrorText.OneLine(s);

    internal static long[] ParseShape(string s)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new ArgumentException($"--input-shape must be positive integers separated by commas (e.g. 1,28,28), got '{s}'.");
        return shape;
    }

    internal static ScalarType? ParseDType(string? s) => s?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "float32" or "float" => ScalarType.Float32,
        "float64" or "double" => ScalarType.Float64,
        _ => throw new ArgumentException($"--dtype must be float32 or float64, got '{s}'."),
    };

    internal static (double, double) ParseBounds(string s)
    {
        var p = s.Split(',', StringSplitOptions.TrimEntries);
        if (p.Length != 2 || !double.TryParse(p[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double lo)
            || !double.TryParse(p[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double hi) || !(lo < hi) || !double.IsFinite(lo) || !double.IsFinite(hi))
            throw new ArgumentException($"--bounds must be LO,HI with finite LO < HI, got '{s}'.");
        return (lo, hi);
    }

    private static void Show(IAnsiConsole console, AuditReport r, bool quiet)
    {
        string verdict = ReportText.Verdict(r.Verdict);
        string color = r.Verdict switch { Verdict.Pass => "green", Verdict.NeedsAttention => "yellow", _ => "red" };
        if (!quiet)
        {
            var summary = new Table().AddColumn("Test").AddColumn("Result").AddColumn("Detail");
            summary.Title = new TableTitle(Markup.Escape($"{r.Model}: {r.Transform} ({r.Group}), {r.SymmetryType}, {r.EvaluationMode} mode, {r.DType}"));
            if (r.EndToEnd is { } e)
                summary.AddRow("end-to-end", ReportText.Result(e.Grade), Markup.Escape($"max rel {ReportText.N(e.Relative.Max)}, mean rel {ReportText.N(e.Relative.Mean)}, max abs {ReportText.N(e.Absolute.Max)}; {e.Samples} samples × {e.Elements} elements ({e.ElementSource})"));
            if (r.Baseline is { } b) summary.AddRow("interpolation baseline", "-", Markup.Escape($"max rel {ReportText.N(b.MaxRelative)} ({b.Mask})"));
            if (r.Precision is { } p) summary.AddRow("float64 re-run", p.Collapsed ? "precision" : "same", Markup.Escape($"max rel {ReportText.N(p.Float64MaxRelative)}"));
            if (r.Gradient is { } g)
                summary.AddRow("gradient", g.Judged ? ReportText.Result(g.Grade!.Value) : "NOT JUDGED", Markup.Escape(g.Judged ? $"max rel {ReportText.N(g.Relative!.Max)}" : g.NotJudgedReason ?? ""));
            if (r.RandomInit is { } ri) summary.AddRow("random init", "-", Markup.Escape($"max rel {ReportText.N(ri.MaxRelative)}, trained/fresh {ReportText.N(ri.Ratio)}"));
            console.Write(summary);
            if (r.Layers.Count > 0)
            {
                var t = new Table().AddColumn("Layer").AddColumn("Type").AddColumn("Own max rel").AddColumn("Cumulative").AddColumn("Result");
                foreach (var l in r.Layers)
                    t.AddRow(Markup.Escape(l.Name), Markup.Escape(l.TypeName), l.Tested ? ReportText.N(l.OwnMaxRelative) : "-", l.Tested ? ReportText.N(l.CumulativeMaxRelative) : "-",
                        Markup.Escape(l.Tested ? l.VerdictText : "not tested: " + l.NotTestableReason));
                console.Write(t);
                console.MarkupLine("First failing layer: [bold]" + Markup.Escape(r.FirstFailingLayer ?? "none") + "[/]");
            }
            foreach (var d in r.Diagnoses)
                console.MarkupLine(Markup.Escape($"[{ReportText.Kind(d.Kind)}] {d.Location} ({d.Severity}): {d.Evidence}. Fix: {d.Fix}"));
        }
        console.MarkupLine($"[bold {color}]{verdict}[/] " + Markup.Escape(string.Join("; ", r.Reasons)));
    }
}
