using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EquivarianceRegularizer.Data;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Cli;

/// <summary>
/// The options every command has, declared once so that `eqv audit` and `eqv lie` spell, default and check them alike:
/// the model, the input shape, samples, seed, the report paths, --create-dirs and --quiet.
/// </summary>
internal sealed class SharedOptions
{
    /// <summary>The one seed default of every command.</summary>
    public const ulong DefaultSeed = 0;

    /// <summary>The one sample-count default of every command.</summary>
    public const int DefaultSamples = 32;

    public Argument<string> Model { get; } = new("MODEL") { Description = "TorchScript model file (torch.jit.save)." };
    public Option<string> InputShape { get; }
    public Option<int> Samples { get; } = new("--samples", "-n") { Description = $"Number of input samples (default {DefaultSamples}).", HelpName = "N", DefaultValueFactory = _ => DefaultSamples };
    public Option<ulong> Seed { get; } = new("--seed") { Description = $"Seed of the random inputs and group elements (default {DefaultSeed}).", HelpName = "N", DefaultValueFactory = _ => DefaultSeed };
    public Option<string?> Json { get; } = new("--json") { Description = "Write the JSON report to PATH.", HelpName = "PATH" };
    public Option<string?> Html { get; } = new("--html") { Description = "Write the self-contained HTML report to PATH.", HelpName = "PATH" };
    public Option<string?> Markdown { get; } = new("--markdown") { Description = "Write the Markdown report to PATH.", HelpName = "PATH" };
    public Option<bool> CreateDirs { get; } = new("--create-dirs") { Description = "Create missing folders of report paths (otherwise a missing folder is an error)." };
    public Option<bool> Quiet { get; } = new("--quiet", "-q") { Description = "Print only the result line; no progress on stderr." };
    public Option<string?> Inputs { get; } = new("--inputs") { Description = "Inputs from a tensor file, batch first (TorchSharp's format; tools/eqv_inputs.py writes one from a torch.save'd tensor or a .npy array); the first --samples are used and --input-shape may be left out.", HelpName = "FILE" };
    public Option<string?> IncludeLayers { get; } = new("--include-layers") { Description = "Only these layers: comma-separated dotted names or globs (layer1, *.bn1); a name also takes the layers inside it.", HelpName = "PATTERNS" };
    public Option<string?> ExcludeLayers { get; } = new("--exclude-layers") { Description = "Leave out these layers (same patterns as --include-layers).", HelpName = "PATTERNS" };

    public SharedOptions(string inputShapeHelp) =>
        InputShape = new Option<string>("--input-shape") { Description = inputShapeHelp + " Required unless --inputs gives the inputs.", HelpName = "C,H,W" };

    /// <summary>Adds the options to <paramref name="command"/> (the model argument first).</summary>
    public void AddTo(Command command)
    {
        command.Add(Model);
        foreach (var o in new Option[] { InputShape, Samples, Seed, Inputs, IncludeLayers, ExcludeLayers, Json, Html, Markdown, CreateDirs, Quiet }) command.Add(o);
    }

    /// <summary>--include-layers and --exclude-layers as one selection.</summary>
    public LayerSelection Layers(ParseResult parse) =>
        new(LayerSelection.Patterns(parse.GetValue(IncludeLayers)), LayerSelection.Patterns(parse.GetValue(ExcludeLayers)));

    /// <summary>
    /// The per-sample input shape and, with --inputs, the inputs read from the file (float32 or float64, batch first):
    /// --input-shape is then optional and, when given, must match the file.
    /// </summary>
    public (long[] Shape, Tensor? Inputs) ShapeAndInputs(ParseResult parse)
    {
        string? shapeText = parse.GetValue(InputShape);
        if (parse.GetValue(Inputs) is not { Length: > 0 } file)
        {
            if (shapeText is null) throw new ArgumentException("--input-shape is required (the shape of one input without the batch axis, e.g. 3,224,224), unless --inputs FILE gives the inputs.");
            return (ParseShape(shapeText), null);
        }
        Tensor x;
        try { x = TensorFile.Read(file); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ExternalException)
        {
            throw new ArgumentException("--inputs: " + ErrorText.OneLine(e.Message), e);
        }
        var shape = x.shape.Skip(1).ToArray();
        if (shapeText is not null && !ParseShape(shapeText).SequenceEqual(shape))
        {
            x.Dispose();
            throw new ArgumentException($"--input-shape {shapeText} does not match the inputs in '{file}', whose samples are [{string.Join(",", shape)}]; leave --input-shape out or make them agree.");
        }
        return (shape, x);
    }

    /// <summary>The report paths asked for, checked before any work runs (see <see cref="ReportFiles.Check"/>).</summary>
    public ReportFiles Reports(ParseResult parse) =>
        new(parse.GetValue(CreateDirs), parse.GetValue(Quiet),
            ("--json", parse.GetValue(Json)), ("--html", parse.GetValue(Html)), ("--markdown", parse.GetValue(Markdown)));

    /// <summary>--samples, at least 1.</summary>
    public int SampleCount(ParseResult parse)
    {
        int n = parse.GetValue(Samples);
        return n >= 1 ? n : throw new ArgumentException($"--samples must be at least 1, got {n}.");
    }

    /// <summary>The error line for a model path that does not exist (both commands).</summary>
    public static string MissingModel(string path) => $"model file '{path}' not found: the path does not exist.";

    /// <summary>Parses a per-sample shape "1,28,28": positive integers separated by commas.</summary>
    public static long[] ParseShape(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var parts = s.Split(',', StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new ArgumentException($"--input-shape must be positive integers separated by commas (e.g. 1,28,28), got '{s}'.");
        return shape;
    }
}
