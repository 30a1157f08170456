using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Audit.Reports;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Cli.Commands;

/// <summary>`eqv audit MODEL.pt …`: audits a TorchScript model; exit codes as in <see cref="ExitCodes"/>.</summary>
internal static class AuditCommand
{
    /// <summary>Builds the command; it writes through <paramref name="cli"/>.</summary>
    public static Command Create(CliContext cli)
    {
        var shared = new SharedOptions("Per-sample input shape without the batch axis, e.g. 1,28,28.");
        var transform = new Option<string>("--transform", "-t") { Description = "Input transform (see the list below).", HelpName = "TRANSFORM", Required = true };
        var output = new Option<string>("--output") { Description = "Output action: invariant (default), equivariant (same transform), or a transform name.", HelpName = "ACTION", DefaultValueFactory = _ => "invariant" };
        var dtype = new Option<string?>("--dtype") { Description = "Run the model in float32 or float64 (default: the model's own dtype).", HelpName = "float32|float64" };
        var bounds = new Option<string>("--bounds") { Description = "Bounds LO,HI of the uniform random inputs (default 0,1).", HelpName = "LO,HI", DefaultValueFactory = _ => "0,1" };
        var layers = new Option<bool>("--layers") { Description = "Test every layer in isolation and name the first failing one." };
        var gradient = new Option<bool>("--gradient") { Description = "Test equivariance of input gradients." };
        var trainMode = new Option<bool>("--train-mode") { Description = "Evaluate in train mode (default: eval mode)." };
        var randomInit = new Option<bool>("--random-init") { Description = "Also audit the same architecture freshly initialised, for comparison." };
        var text = new Option<string?>("--text") { Description = "Write the plain-text report to PATH.", HelpName = "PATH" };
        var memory = new Option<string>("--memory-budget") { Description = "Memory the audit may use: the layer-wise and gradient tests take the samples in chunks that fit it (default 2GB).", HelpName = "SIZE", DefaultValueFactory = _ => "2GB" };
        var lee = new Option<string?>("--lee") { Description = "Also measure the layer-wise Lie-derivative error (LEE) along a continuous transform (translate-x, rotate, scale, …) and plot it in the HTML report.", HelpName = "TRANSFORM" };

        var command = new Command("audit", "Audit a TorchScript model for invariance or equivariance under a transform.\n\n"
            + TransformCatalogue.HelpText("Transforms (--transform, --output; continuous ones also --lee):", continuousOnly: false) + "\n\n" + ExitCodes.Table);
        shared.AddTo(command);
        foreach (var o in new Option[] { transform, output, dtype, bounds, layers, gradient, trainMode, randomInit, text, lee, memory }) command.Add(o);
        command.SetAction(parse =>
        {
            string path = parse.GetValue(shared.Model)!;
            bool quiet = parse.GetValue(shared.Quiet);
            long[] shape;
            Tensor? given = null;
            LayerSelection selection;
            ScalarType? type;
            (double, double) lohi;
            int samples;
            long budget;
            ReportFiles reports;
            Symmetry spec;
            try
            {
                type = ParseDType(parse.GetValue(dtype));
                lohi = ParseBounds(parse.GetValue(bounds)!);
                samples = shared.SampleCount(parse);
                budget = MemorySize.Parse(parse.GetValue(memory)!, "--memory-budget");
                if (budget < AuditOptions.MinimumMemoryBudgetBytes)
                    throw new ArgumentException($"--memory-budget must be at least {AuditOptions.MinimumMemoryBudgetBytes >> 20}MB (the process itself takes about that), got '{parse.GetValue(memory)}'.");
                reports = shared.Reports(parse).With("--text", parse.GetValue(text));
                reports.Check();
                selection = shared.Layers(parse);
                if (!File.Exists(path) && !Directory.Exists(path)) return cli.Usage(SharedOptions.MissingModel(path));
                (shape, given) = shared.ShapeAndInputs(parse);
                var t = TransformCatalogue.Create(parse.GetValue(transform)!, shape);
                spec = SymmetryOption.Resolve(t, parse.GetValue(output)!, shape);
            }
            catch (ArgumentException e)
            {
                given?.Dispose();
                return cli.Usage(e.Message);
            }

            using var inputs = given;
            var progress = cli.Progress(quiet);
            TappedScriptModule tapped;
            try { tapped = progress.Stage("checking and loading the model", () => ModelFiles.LoadTapped(path)); }
            catch (Exception e) when (e is ExternalException or InvalidDataException or IOException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or ArgumentException)
            {
                return cli.Usage($"cannot read model '{path}': {ErrorText.OneLine(e.Message)}");
            }
            using (tapped)
            {
                var mode = parse.GetValue(trainMode) ? EvaluationMode.Train : EvaluationMode.Eval;
                if (mode == EvaluationMode.Eval && tapped.Module.training)
                    cli.Note("the model was saved in train mode; it is audited in eval mode (dropout off, batch-norm running statistics); --train-mode audits it as saved.");
                IContinuousTransform? leeTransform = null;
                if (parse.GetValue(lee) is { Length: > 0 } leeName)
                {
                    try { leeTransform = TransformCatalogue.CreateContinuous(leeName); }
                    catch (ArgumentException e) { return cli.Usage("--lee: " + ErrorText.OneLine(e.Message)); }
                }
                var options = new AuditOptions
                {
                    InputShape = inputs is null ? shape : null,
                    Inputs = inputs,
                    Samples = samples,
                    LayerSelection = selection,
                    Seed = parse.GetValue(shared.Seed),
                    DType = type,
                    Bounds = lohi,
                    // The flags add to the library's defaults (AuditOptions.Default), so eqv audit and Auditor.Audit agree.
                    Layers = parse.GetValue(layers) || AuditOptions.Default.Layers,
                    Gradient = parse.GetValue(gradient) || AuditOptions.Default.Gradient,
                    Mode = mode,
                    RandomInitBaseline = parse.GetValue(randomInit),
                    ModelName = ReportText.Printable(Path.GetFileName(path)),
                    LeeTransform = leeTransform,
                    MemoryBudgetBytes = budget,
                };
                AuditReport report;
                try
                {
                    report = progress.Stage(StageName(options), () => Auditor.Audit(new TappedModel(tapped, ReportText.Printable(Path.GetFileName(path))), spec, options));
                }
                catch (ArgumentException e) when (!e.Data.Contains("EquivarianceRegularizer.ModelCouldNotRun")) { return cli.Usage(e.Message); }
                catch (Exception e) when (e is ArgumentException or ExternalException or NotSupportedException or InvalidOperationException)
                {
                    // The library's "model cannot run" error carries the model's own as its inner exception: said here in --input-shape terms.
                    var cause = e is ArgumentException { InnerException: { } inner } ? inner : e;
                    string why = ModelInputErrors.Explain(cause.Message, shape) ?? ErrorText.OneLine(cause.Message);
                    return cli.Usage($"the model could not run on inputs of shape [{string.Join(",", shape)}]: {why}");
                }
                if (report.LieNote is { } leeNote) cli.Stderr.WriteLine("eqv: note: " + ErrorText.OneLine(leeNote));
                try
                {
                    reports.WriteAll(cli.Stdout,
                        ("--json", "JSON", () => JsonReport.Render(report)),
                        ("--html", "HTML", () => HtmlReport.Render(report)),
                        ("--markdown", "Markdown", () => MarkdownReport.Render(report)),
                        ("--text", "text", () => ReportText.Render(report)));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    return cli.Usage($"cannot write report: {ErrorText.OneLine(e.Message)}");
                }
                AuditSummary.Show(cli.Console, report, quiet);
                return report.Verdict switch
                {
                    Verdict.Pass => ExitCodes.Pass,
                    Verdict.NeedsAttention => ExitCodes.NeedsAttention,
                    _ => ExitCodes.Fail,
                };
            }
        });
        return command;
    }

    private static string StageName(AuditOptions o) =>
        "auditing: end-to-end" + (o.Layers ? ", layers" : "") + (o.Gradient ? ", gradient" : "") + (o.RandomInitBaseline ? ", random-init baseline" : "")
        + (o.LeeTransform is { } t ? ", layer-wise LEE along " + t.Name : "")
        + FormattableString.Invariant($" ({o.Samples} samples)");

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
}
