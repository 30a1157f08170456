using EquivarianceRegularizer.Sampling;
using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>
/// The layer-wise Lie-derivative error along <see cref="AuditOptions.LeeTransform"/>, for the cumulative LEE plot.
/// It runs on the model as handed over (its own dtype), in eval mode, on its own inputs: at most 16 samples drawn
/// in float32 inside <see cref="AuditOptions.Bounds"/> from a generator seeded with <see cref="AuditOptions.Seed"/>.
/// </summary>
internal static class LiePhase
{
    /// <summary>The per-layer errors, or null and the reason when they could not be measured.</summary>
    public static (IReadOnlyList<(string Layer, double Lee)>? Layers, string? Note) Run(ObservedModel model, AuditOptions options, IContinuousTransform transform)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(options.Seed);
        var shape = options.InputShape ?? options.Inputs!.shape.Skip(1).ToArray();
        var x = PointSampling.Sample(MonteCarloSampler.Instance, Math.Min(options.Samples, 16), shape, options.Bounds, gen, get_default_dtype());
        bool training = model.Training;
        try
        {
            model.SetTraining(false);
            var lee = ModelLieAttribution.Measure(model, x, transform);
            return (lee.Layers.Select(l => (l.Name, l.Lee)).ToList(), null);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or System.Runtime.InteropServices.ExternalException)
        {
            return (null, $"the layer-wise LEE could not be measured: {e.Message}");
        }
        finally
        {
            model.SetTraining(training);
        }
    }
}
