using EquivarianceRegularizer.Sampling;
using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using EquivarianceRegularizer.Data;
using EquivarianceRegularizer.Jit;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Lie.Reports;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Cli.Commands;

/// <summary>
/// `eqv lie MODEL.pt --input-shape C,H,W [--generators translate-x,…] [--layers] …`: the local equivariance error
/// (LEE) of a TorchScript model along continuous transforms, optionally attributed to every module call. A thin
/// shell over <see cref="LocalEquivarianceError"/> and <see cref="ModelLieAttribution"/>; exit codes as in
/// <see cref="ExitCodes"/> (0 measured, 2 bad usage or unreadable input, 4 could not measure).
/// </summary>
internal static class LieCommand
{
    private const string DefaultGenerators = "translate-x,translate-y,rotate,scale";

    /// <summary>Builds the command; it writes through <paramref name="cli"/>.</summary>
    public static Command Create(CliContext cli)
    {
        var shared = new SharedOptions("Shape of one input, C,H,W (e.g. 3,32,32).");
        var generators = new Option<string>("--generators") { Description = $"Comma-separated continuous transforms (see the list below; default {DefaultGenerators}).", HelpName = "T1,T2,…", DefaultValueFactory = _ => DefaultGenerators };
        var layers = new Option<bool>("--layers") { Description = "Attribute the Lie derivative to every module call (a second call of a module is name#2) and to the functional code between them; the rows add up to the total." };
        var batch = new Option<int>("--batch-size") { Description = "Samples per model evaluation (default 32).", HelpName = "N", DefaultValueFactory = _ => 32 };
        var data = new Option<string>("--data") { Description = "Inputs: random (uniform [0, 1), default) | fashion-mnist-train | fashion-mnist-test.", HelpName = "SOURCE", DefaultValueFactory = _ => "random" };
        data.AcceptOnlyFromAmong("random", "fashion-mnist-train", "fashion-mnist-test");
        var aggregation = new Option<string>("--aggregation") { Description = "mean-square (the paper's LEE, default) | mean-abs-softmax (the paper code's convention).", HelpName = "KIND", DefaultValueFactory = _ => "mean-square" };
        aggregation.AcceptOnlyFromAmong("mean-square", "mean-abs-softmax");
        var padding = new Option<string>("--padding") { Description = "Outside the image: zeros (default) | border | reflection | circular.", HelpName = "KIND", DefaultValueFactory = _ => "zeros" };
        padding.AcceptOnlyFromAmong("zeros", "border", "reflection", "circular");
        var derivative = new Option<string>("--derivative") { Description = "Spatial derivative of the tangent: central (default) | fourier.", HelpName = "KIND", DefaultValueFactory = _ => "central" };
        derivative.AcceptOnlyFromAmong("central", "fourier");
        var alignCorners = new Option<bool>("--align-corners") { Description = "grid_sample's align_corners = true: the frame of the Lie-derivative paper's code ((W−1)/2 pixels per unit; default W/2)." };

        var command = new Command("lie", "Local equivariance error (Lie derivative) of a TorchScript model along continuous transforms.\n\n"
            + TransformCatalogue.HelpText("Transforms (--generators):", continuousOnly: true) + "\n\n" + ExitCodes.Table);
        shared.AddTo(command);
        foreach (var o in new Option[] { generators, layers, batch, data, aggregation, padding, derivative, alignCorners }) command.Add(o);
        command.SetAction(parse =>
        {
            LieSettings s;
            ReportFiles reports;
            Tensor? given = null;
            try
            {
                string? shapeText = parse.GetValue(shared.InputShape);
                long[] shape;
                if (parse.GetValue(shared.Inputs) is { Length: > 0 })
                {
                    if (parse.GetValue(data) is { } source && source != "random")
                        throw new ArgumentException($"--inputs and --data {source} both give inputs; use one of them.");
                    if (!File.Exists(parse.GetValue(shared.Model)!) && !Directory.Exists(parse.GetValue(shared.Model)!)) return cli.Usage(SharedOptions.MissingModel(parse.GetValue(shared.Model)!));
                    (shape, given) = shared.ShapeAndInputs(parse);
                }
                else
                {
                    if (shapeText is null) throw new ArgumentException("--input-shape is required (C,H,W, e.g. 3,32,32), unless --inputs FILE gives the inputs.");
                    try { shape = SharedOptions.ParseShape(shapeText); }
                    catch (ArgumentException) { shape = Array.Empty<long>(); }
                }
                if (shape.Length != 3) throw new ArgumentException(given is null
                    ? $"--input-shape must be C,H,W (three positive integers), got '{shapeText}'."
                    : $"--inputs must hold images N,C,H,W; its samples are [{string.Join(",", shape)}].");
                var flow = new ImageFlowOptions
                {
                    Padding = parse.GetValue(padding) switch { "border" => ImagePadding.Border, "reflection" => ImagePadding.Reflection, "circular" => ImagePadding.Circular, _ => ImagePadding.Zeros },
                    Derivative = parse.GetValue(derivative) == "fourier" ? SpatialDerivative.Fourier : SpatialDerivative.CentralDifference,
                    AlignCorners = parse.GetValue(alignCorners),
                };
                s = new LieSettings(parse.GetValue(shared.Model)!, shape, ParseGenerators(parse.GetValue(generators) ?? ""), parse.GetValue(layers),
                    shared.SampleCount(parse), Positive(parse.GetValue(batch), "--batch-size"),
                    parse.GetValue(shared.Seed), parse.GetValue(data) ?? "random",
                    parse.GetValue(aggregation) == "mean-abs-softmax" ? LieAggregation.MeanAbsoluteSoftmax : LieAggregation.MeanSquare, flow, parse.GetValue(shared.Quiet),
                    // An explicit --padding is the user's convention; without it the boundary follows the model's own padding.
                    PaddingGiven: parse.GetResult(padding) is { Implicit: false }, Given: given, Selection: shared.Layers(parse));
                reports = shared.Reports(parse);
                reports.Check();
                if (!File.Exists(s.ModelPath) && !Directory.Exists(s.ModelPath)) return cli.Usage(SharedOptions.MissingModel(s.ModelPath));
            }
            catch (ArgumentException e)
            {
                given?.Dispose();
                return cli.Usage(e.Message);
            }
            using (given) return Run(cli, s, reports);
        });
        return command;
    }

    private sealed record LieSettings(string ModelPath, long[] InputShape, string[] Generators, bool Layers, int Samples, int BatchSize, ulong Seed,
        string Data, LieAggregation Aggregation, ImageFlowOptions Flow, bool Quiet, bool PaddingGiven, Tensor? Given, LayerSelection Selection);

    private static int Run(CliContext cli, LieSettings s, ReportFiles reports)
    {
        var clock = Stopwatch.StartNew();
        var progress = cli.Progress(s.Quiet);
        var transforms = s.Generators.Select(g => TransformCatalogue.CreateContinuous(g, s.Flow)).ToList();
        using var scope = NewDisposeScope();
        TappedScriptModule tapped;
        try { tapped = progress.Stage("checking and loading the model", () => ModelFiles.LoadTapped(s.ModelPath)); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException or ArgumentException or ExternalException)
        {
            return cli.Usage($"cannot read model '{s.ModelPath}': {ErrorText.OneLine(e.Message)}");
        }
        using var _tapped = tapped;
        var module = tapped.Module;
        var notes = new List<string>();
        if (module.training)
        {
            notes.Add("The model was saved in train mode; it was switched to eval mode for the measurement (dropout off, batch-norm running statistics).");
            cli.Note("the model was saved in train mode; eqv lie measures it in eval mode (dropout off, batch-norm running statistics).");
        }
        module.eval();
        var results = new List<LieTransformResult>();
        Tensor? x = null;
        try
        {
            x = Inputs(s);
            var options = new LieOptions { Aggregation = s.Aggregation, BatchSize = s.BatchSize, BoundaryFromModel = !s.PaddingGiven };
            progress.Steps("measuring the LEE", transforms, t => t.Name, t => results.Add(s.Layers
                ? LieTransformResult.From(Selected(ModelLieAttribution.Measure(tapped, x, t, options), s.Selection))
                : new LieTransformResult { Total = LocalEquivarianceError.Measure(module.call, x, t, options) }));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or NotSupportedException or ExternalException or IOException or InvalidDataException or OutOfMemoryException)
        {
            // An input the model cannot take is bad usage; anything else failed in the measurement, not in what was asked.
            string? why = ModelInputErrors.Explain(e.Message, s.InputShape);
            if (why is not null || !RunsOn(module, x))
                return cli.Usage($"the model could not be measured on inputs of shape [{string.Join(",", s.InputShape)}]: {why ?? ErrorText.OneLine(e.Message)}");
            return cli.CouldNotMeasure($"{(s.Layers ? "the layer-wise LEE" : "the LEE")} of '{Path.GetFileName(s.ModelPath)}' on inputs of shape [{string.Join(",", s.InputShape)}]: {ErrorText.OneLine(e.Message)}");
        }
        if (x is not null && AllZeroOutputs(module, x, s.BatchSize))
        {
            const string vacuous = "The model's outputs are all zero on these inputs, so the LEE is vacuous: a zero Lie derivative says nothing about equivariance here.";
            notes.Add(vacuous);
            cli.Note("the outputs are all zero, so the LEE is vacuous (0 says nothing about equivariance here).");
        }
        if (!s.Selection.IsAll && !s.Layers)
            cli.Note("--include-layers and --exclude-layers choose rows of the layer-wise attribution; without --layers there are none.");
        var report = new LieReport
        {
            Model = EquivarianceRegularizer.Audit.Reports.ReportText.Printable(Path.GetFileName(s.ModelPath)), InputShape = s.InputShape, Samples = (int)Math.Min(s.Samples, s.Given?.size(0) ?? s.Samples),
            Data = s.Given is null ? s.Data : "file", Seed = s.Seed,
            Aggregation = s.Aggregation, FlowOptions = s.Flow, Results = results, Notes = notes, Seconds = clock.Elapsed.TotalSeconds,
        };
        Show(cli.Stdout, report, s.Quiet);
        try
        {
            reports.WriteAll(cli.Stdout,
                ("--json", "JSON", () => LieJsonReport.Render(report)),
                ("--html", "HTML", () => LieHtmlReport.Render(report)),
                ("--markdown", "Markdown", () => LieMarkdownReport.Render(report)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return cli.Usage($"cannot write report: {ErrorText.OneLine(e.Message)}");
        }
        return ExitCodes.Pass;
    }

    // Whether every output of the first batch is exactly zero (then every Lie derivative is zero too, trivially).
    private static bool AllZeroOutputs(jit.ScriptModule<Tensor, Tensor> module, Tensor x, int batchSize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var y = module.call(x.narrow(0, 0, Math.Min(x.size(0), batchSize)));
        return y.is_floating_point() && y.abs().max().to(ScalarType.Float64).item<double>() == 0;
    }

    // Whether the plain forward runs on one of the inputs (none made: the inputs themselves were the problem).
    private static bool RunsOn(jit.ScriptModule<Tensor, Tensor> module, Tensor? x)
    {
        if (x is null) return false;
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            module.call(x.narrow(0, 0, 1));
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or ExternalException)
        {
            return false;
        }
    }

    private static void Show(TextWriter output, LieReport r, bool quiet)
    {
        if (!quiet)
        {
            output.WriteLine(FormattableString.Invariant($"eqv lie {r.Model}: {r.Samples} {r.Data} inputs of shape [{string.Join(",", r.InputShape)}], seed {r.Seed}, {r.Aggregation}; {r.Conventions}"));
            output.WriteLine(FormattableString.Invariant($"{"transform",-12} {"LEE",12} {"± s.e.",10} output"));
        }
        foreach (var t in r.Results)
        {
            output.WriteLine(FormattableString.Invariant($"{t.Transform,-12} {t.Total.Value,12:G4} {t.Total.StandardError,10:G2} {t.Total.Output}{(t.Total.OutputBorderWidth is null ? "" : "; " + t.Total.Coverage)}"));
            if (!quiet && t.Layers is { } layers) output.Write(layers.ToTable());
        }
        if (!quiet)
            foreach (var note in r.Notes) output.WriteLine("note: " + note);
    }

    /// <summary>The rows of <paramref name="report"/> that <paramref name="selection"/> keeps; shares stay those of the whole model.</summary>
    private static LayerwiseLeeReport Selected(LayerwiseLeeReport report, LayerSelection selection)
    {
        if (selection.Describe() is not { } which) return report;
        var rows = report.Layers.Where(l => selection.Selects(l.Name)).ToList();
        return report with
        {
            Layers = rows,
            Containers = report.Containers.Where(c => selection.Selects(c.Name)).ToList(),
            Notes = report.Notes.Append($"Rows shown: {which} ({rows.Count} of {report.Layers.Count}); every share and cumulative share is of the whole model's LEE.").ToList(),
        };
    }

    private static Tensor Inputs(LieSettings s)
    {
        if (s.Given is { } given)
        {
            using var head = given.narrow(0, 0, Math.Min(s.Samples, given.size(0)));
            return head.to(get_default_dtype(), copy: true);
        }
        var shape = new[] { (long)s.Samples }.Concat(s.InputShape).ToArray();
        if (s.Data == "random")
        {
            using var g = new Generator(s.Seed);
            return PointSampling.Sample(MonteCarloSampler.Instance, s.Samples, s.InputShape, Bounds.UnitCube, g, get_default_dtype());
        }
        if (!s.InputShape.SequenceEqual(new long[] { 1, 28, 28 }))
            throw new ArgumentException($"--data {s.Data} gives 1×28×28 images; --input-shape is {string.Join(",", s.InputShape)}.");
        var (images, labels) = FashionMnist.Load(s.Data == "fashion-mnist-train", s.Samples);
        labels.Dispose();
        return images;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");

    private static string[] ParseGenerators(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException("--generators needs at least one transform.");
        foreach (var n in names)
            if (!TransformCatalogue.ContinuousNames.Contains(n.ToLowerInvariant()))
                throw new ArgumentException($"--generators: unknown transform '{n}'; expected one of {string.Join(", ", TransformCatalogue.ContinuousNames)}.");
        return names;
    }
}
