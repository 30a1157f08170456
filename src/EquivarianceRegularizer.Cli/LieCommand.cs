using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EquivarianceRegularizer.Data;
using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Cli;

/// <summary>
/// <c>eqv lie MODEL.pt --input-shape C,H,W [--generators translate-x,…] [--layers] [--samples N] [--json PATH]</c>:
/// the local equivariance error (LEE) of a TorchScript model along continuous transforms, optionally attributed to
/// its top-level children. A thin shell over <see cref="LocalEquivarianceError"/> and
/// <see cref="LayerwiseLieDerivative"/>.
/// </summary>
public static class LieCommand
{
    /// <summary>Exit code: success.</summary>
    public const int Ok = 0;
    /// <summary>Exit code: the model or a measurement failed (message on standard error).</summary>
    public const int Failed = 1;
    /// <summary>Exit code: invalid arguments.</summary>
    public const int UsageError = 2;

    /// <summary>Settings of one run (what the command line parses into).</summary>
    public sealed record Settings
    {
        /// <summary>Path of the TorchScript model.</summary>
        public required string ModelPath { get; init; }
        /// <summary>Shape of one input (C, H, W).</summary>
        public required long[] InputShape { get; init; }
        /// <summary>Transform names (see <see cref="ContinuousTransforms.Names"/>).</summary>
        public IReadOnlyList<string> Generators { get; init; } = new[] { "translate-x", "translate-y", "rotate", "scale" };
        /// <summary>Also attribute the Lie derivative to the model's top-level children.</summary>
        public bool Layers { get; init; }
        /// <summary>Number of input samples.</summary>
        public int Samples { get; init; } = 32;
        /// <summary>Samples per model evaluation.</summary>
        public int BatchSize { get; init; } = 32;
        /// <summary>Seed of the random inputs.</summary>
        public ulong Seed { get; init; } = 1;
        /// <summary>Inputs: "random" (uniform [0, 1)), "fashion-mnist-train" or "fashion-mnist-test".</summary>
        public string Data { get; init; } = "random";
        /// <summary>Aggregation convention.</summary>
        public LieAggregation Aggregation { get; init; } = LieAggregation.MeanSquare;
        /// <summary>Geometric transform settings.</summary>
        public ImageFlowOptions FlowOptions { get; init; } = ImageFlowOptions.Default;
        /// <summary>Where to write the JSON report (null: none).</summary>
        public string? JsonPath { get; init; }
    }

    /// <summary>Builds the <c>lie</c> command with its options and handler.</summary>
    public static Command Create()
    {
        var model = new Argument<string>("MODEL") { Description = "TorchScript model file (torch.jit.save)." };
        var inputShape = new Option<string>("--input-shape") { Description = "Shape of one input, C,H,W (e.g. 3,32,32).", Required = true };
        var generators = new Option<string>("--generators")
        {
            Description = "Comma-separated transforms: " + string.Join(", ", ContinuousTransforms.Names) + ".",
            DefaultValueFactory = _ => "translate-x,translate-y,rotate,scale",
        };
        var layers = new Option<bool>("--layers") { Description = "Attribute the Lie derivative to the model's top-level children (checked to compose to forward)." };
        var samples = new Option<int>("--samples") { Description = "Number of input samples.", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch-size") { Description = "Samples per model evaluation.", DefaultValueFactory = _ => 32 };
        var seed = new Option<int>("--seed") { Description = "Seed of the random inputs.", DefaultValueFactory = _ => 1 };
        var data = new Option<string>("--data") { Description = "Inputs: random | fashion-mnist-train | fashion-mnist-test.", DefaultValueFactory = _ => "random" };
        data.AcceptOnlyFromAmong("random", "fashion-mnist-train", "fashion-mnist-test");
        var aggregation = new Option<string>("--aggregation")
        {
            Description = "mean-square (the paper's LEE) | mean-abs-softmax (the reference code's convention).",
            DefaultValueFactory = _ => "mean-square",
        };
        aggregation.AcceptOnlyFromAmong("mean-square", "mean-abs-softmax");
        var padding = new Option<string>("--padding") { Description = "zeros | border | reflection | circular.", DefaultValueFactory = _ => "zeros" };
        padding.AcceptOnlyFromAmong("zeros", "border", "reflection", "circular");
        var derivative = new Option<string>("--derivative") { Description = "central | fourier (spatial derivative of the tangent).", DefaultValueFactory = _ => "central" };
        derivative.AcceptOnlyFromAmong("central", "fourier");
        var json = new Option<string?>("--json") { Description = "Write the report as JSON to this path." };

        var command = new Command("lie", "Local equivariance error (Lie derivative) of a TorchScript model along continuous transforms.")
        {
            model, inputShape, generators, layers, samples, batch, seed, data, aggregation, padding, derivative, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            Settings settings;
            try
            {
                settings = new Settings
                {
                    ModelPath = parse.GetRequiredValue(model),
                    InputShape = ParseShape(parse.GetRequiredValue(inputShape)),
                    Generators = ParseGenerators(parse.GetValue(generators) ?? string.Empty),
                    Layers = parse.GetValue(layers),
                    Samples = Positive(parse.GetValue(samples), "--samples"),
                    BatchSize = Positive(parse.GetValue(batch), "--batch-size"),
                    Seed = (ulong)Math.Max(0, parse.GetValue(seed)),
                    Data = parse.GetValue(data) ?? "random",
                    Aggregation = parse.GetValue(aggregation) == "mean-abs-softmax" ? LieAggregation.MeanAbsoluteSoftmax : LieAggregation.MeanSquare,
                    FlowOptions = new ImageFlowOptions
                    {
                        Padding = parse.GetValue(padding) switch
                        {
                            "border" => ImagePadding.Border,
                            "reflection" => ImagePadding.Reflection,
                            "circular" => ImagePadding.Circular,
                            _ => ImagePadding.Zeros,
                        },
                        Derivative = parse.GetValue(derivative) == "fourier" ? SpatialDerivative.Fourier : SpatialDerivative.CentralDifference,
                    },
                    JsonPath = parse.GetValue(json),
                };
            }
            catch (ArgumentException e)
            {
                error.WriteLine("eqv lie: " + ErrorText.OneLine(e.Message));
                return UsageError;
            }
            return Run(settings, output, error);
        });
        return command;
    }

    /// <summary>Runs a measurement and prints the tables (and writes JSON when asked). Returns the exit code.</summary>
    public static int Run(Settings settings, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var transforms = settings.Generators.Select(g => ContinuousTransforms.Create(g, settings.FlowOptions)).ToList();
            using var scope = NewDisposeScope();
            EquivarianceRegularizer.Jit.TappedScriptModule tapped;
            try { tapped = ModelFiles.LoadTapped(settings.ModelPath); }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or NotSupportedException or InvalidOperationException)
            {
                // An unreadable model is bad input, as in eqv audit: exit 2.
                error.WriteLine("eqv lie: cannot read model '" + settings.ModelPath + "': " + ErrorText.OneLine(e.Message));
                return UsageError;
            }
            using var _tapped = tapped;
            var module = tapped.Module;
            module.eval();
            var x = Inputs(settings);
            var options = new LieOptions { Aggregation = settings.Aggregation, BatchSize = settings.BatchSize };
            var results = new List<object>();
            output.WriteLine(FormattableString.Invariant($"eqv lie {Path.GetFileName(settings.ModelPath)}: {settings.Samples} {settings.Data} inputs of shape [{string.Join(",", settings.InputShape)}], {settings.Aggregation}"));
            output.WriteLine(FormattableString.Invariant($"{"transform",-12} {"LEE",12} {"± s.e.",10} output"));
            foreach (var t in transforms)
            {
                if (settings.Layers)
                {
                    var report = LayerwiseLieDerivative.Measure(tapped, x, t, options);
                    output.WriteLine(FormattableString.Invariant($"{t.Name,-12} {report.Total.Value,12:G4} {report.Total.StandardError,10:G2} {report.Total.Output}"));
                    output.Write(report.ToTable());
                    results.Add(report);
                }
                else
                {
                    var lee = LocalEquivarianceError.Measure(module.call, x, t, options);
                    output.WriteLine(FormattableString.Invariant($"{t.Name,-12} {lee.Value,12:G4} {lee.StandardError,10:G2} {lee.Output}"));
                    results.Add(lee);
                }
            }
            if (settings.JsonPath is { } path)
            {
                var document = new Dictionary<string, object>
                {
                    ["model"] = Path.GetFullPath(settings.ModelPath),
                    ["inputShape"] = settings.InputShape,
                    ["samples"] = settings.Samples,
                    ["data"] = settings.Data,
                    ["aggregation"] = settings.Aggregation.ToString(),
                    ["results"] = results,
                };
                File.WriteAllText(path, JsonSerializer.Serialize(document, LieJson.Options));
                output.WriteLine("JSON written to " + path);
            }
            return Ok;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or InvalidOperationException or ArgumentException or NotSupportedException or System.Runtime.InteropServices.ExternalException or UnauthorizedAccessException)
        {
            error.WriteLine("eqv lie: " + ErrorText.OneLine(e.Message));
            return Failed;
        }
    }

    private static Tensor Inputs(Settings settings)
    {
        var shape = new[] { (long)settings.Samples }.Concat(settings.InputShape).ToArray();
        if (settings.Data == "random")
        {
            using var g = new Generator(settings.Seed);
            return rand(shape, generator: g);
        }
        bool train = settings.Data == "fashion-mnist-train";
        if (!settings.InputShape.SequenceEqual(new long[] { 1, 28, 28 }))
            throw new ArgumentException($"--data {settings.Data} gives 1×28×28 images; --input-shape is {string.Join(",", settings.InputShape)}.");
        var (images, labels) = FashionMnist.Load(train, settings.Samples);
        labels.Dispose();
        return images;
    }

    /// <summary>Parses "C,H,W" (or any comma-separated positive sizes).</summary>
    public static long[] ParseShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3)
            throw new ArgumentException($"--input-shape must be C,H,W (three positive integers), got '{text}'.");
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]) || shape[i] < 1)
                throw new ArgumentException($"--input-shape must be C,H,W (three positive integers), got '{text}'.");
        return shape;
    }

    private static string[] ParseGenerators(string text)
    {
        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException("--generators needs at least one transform.");
        foreach (var n in names)
            if (!ContinuousTransforms.Names.Contains(n.ToLowerInvariant()))
                throw new ArgumentException($"Unknown generator '{n}'; expected one of {string.Join(", ", ContinuousTransforms.Names)}.");
        return names;
    }

    private static int Positive(int value, string option) =>
        value >= 1 ? value : throw new ArgumentException($"{option} must be at least 1, got {value}.");
}
