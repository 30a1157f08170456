using EquivarianceRegularizer.Sampling;
using EquivarianceRegularizer.Models;
using EquivarianceRegularizer.Differentiation;
using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Lie;

/// <summary>Computes <see cref="LayerwiseLeeReport"/>s.</summary>
internal static class LayerwiseLieDerivative
{
    /// <summary>
    /// Attributes the Lie derivative of the chain <paramref name="stages"/> along <paramref name="transform"/> to its
    /// stages, over the samples of <paramref name="x"/>. The group acts on every intermediate feature map
    /// (N×C×H×W, H, W ≥ 2) for geometric transforms and trivially on other intermediates (and on every
    /// intermediate for colour transforms); the output is equivariant when it is such a feature map of a geometric transform. Only forward mode
    /// is supported here.
    /// </summary>
    public static LayerwiseLeeReport Measure(IReadOnlyList<LieStage> stages, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stages);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= LieOptions.Default;
        if (stages.Count == 0) throw new ArgumentException("Needs at least one stage.", nameof(stages));
        if (options.Method != LieDerivativeMethod.ForwardMode)
            throw new ArgumentException($"Per-layer attribution uses forward mode; got {options.Method}.", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        long n = x.size(0);
        if (n < 1) throw new ArgumentException("Needs at least one sample.", nameof(x));
        int count = stages.Count;
        var perLayer = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var total = new List<double>();
        var projection = new double[count];
        double totalSquare = 0, residual = 0;
        var roles = stages.Select(s => s.Role).ToArray();
        var shapes = new IReadOnlyList<long>[count];
        var equivariant = new bool[count];
        bool equivariantOutput = false;
        var along = LieDerivative.Along(transform);

        Tensor Chain(Tensor h, int from)
        {
            for (int k = from; k < count; k++) h = stages[k].Forward(h);
            return h;
        }

        for (long start = 0; start < n; start += options.BatchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var xb = x.narrow(0, start, Math.Min(options.BatchSize, n - start));
            var hs = new Tensor[count + 1];
            hs[0] = xb;
            for (int i = 0; i < count; i++) hs[i + 1] = stages[i].Forward(hs[i]);
            var y = hs[count];
            bool outputActs = along.ActsOnOutput(y);
            equivariantOutput = outputActs;
            bool Acts(int boundary) => boundary == 0 || (boundary == count ? outputActs : transform is ImageFlowTransform && LieDerivative.IsFeatureMap(hs[boundary]));

            // End-to-end by the one Lie derivative, independently of the per-layer terms.
            var (_, lie) = LieDerivative.Evaluate(h => Chain(h, 0), xb, along, false);

            var contributions = new Tensor[count];
            for (int i = 0; i < count; i++)
            {
                var input = hs[i];
                var output = hs[i + 1];
                Tensor? own = null;
                if (Acts(i))
                {
                    var (_, stageJv) = Jvp.Compute(stages[i].Forward, input, transform.Tangent(input));
                    own = stageJv;
                }
                if (Acts(i + 1))
                {
                    var dOut = transform.Tangent(output);
                    own = own is null ? -dOut : own - dOut;
                }
                if (own is null) contributions[i] = zeros_like(y);
                else if (i == count - 1) contributions[i] = own;
                else
                {
                    int next = i + 1;
                    contributions[i] = Jvp.Compute(h => Chain(h, next), output, own).Tangent;
                }
                if (start == 0)
                {
                    shapes[i] = output.shape.Skip(1).ToArray();
                    equivariant[i] = Acts(i + 1);
                    roles[i] = RefineRole(stages[i].Role == LayerRole.Other ? LieStages.RoleFromName(stages[i].Kind) : stages[i].Role, input, output);
                }
            }

            // Residual of the chain rule, in the model's own dtype.
            var sum = contributions[0];
            for (int i = 1; i < count; i++) sum = sum + contributions[i];
            double lieNorm = lie.norm().ToDouble();
            double maxContribution = contributions.Max(c => c.norm().ToDouble());
            double denominator = Math.Max(Math.Max(lieNorm, maxContribution), 1e-30);
            residual = Math.Max(residual, (sum - lie).norm().ToDouble() / denominator);

            total.AddRange(LocalEquivarianceError.PerSample(lie, y, options.Aggregation, equivariantOutput));
            var lieMeasured = RowStatistics.Measured(lie, y, options.Aggregation);
            totalSquare += lieMeasured.square().sum().ToDouble();
            for (int i = 0; i < count; i++)
            {
                perLayer[i].AddRange(LocalEquivarianceError.PerSample(contributions[i], y, options.Aggregation, equivariantOutput));
                projection[i] += (RowStatistics.Measured(contributions[i], y, options.Aggregation) * lieMeasured).sum().ToDouble();
            }
        }

        var lees = perLayer.Select(SampleStatistics.MeanAndStandardError).ToArray();
        double leeSum = lees.Sum(l => l.mean);
        var layers = new List<LayerContribution>(count);
        double cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            double share = leeSum > 0 ? lees[i].mean / leeSum : 0;
            cumulative += share;
            layers.Add(new LayerContribution
            {
                Index = i,
                Name = stages[i].Name,
                Kind = stages[i].Kind,
                Role = roles[i],
                OutputShape = shapes[i],
                EquivariantOutput = equivariant[i],
                Lee = lees[i].mean,
                StandardError = lees[i].standardError,
                Share = share,
                CumulativeShare = cumulative,
                ProjectionShare = totalSquare > 0 ? projection[i] / totalSquare : 0,
            });
        }
        var byRole = layers.GroupBy(l => l.Role.ToString()).ToDictionary(g => g.Key, g => g.Sum(l => l.Share), StringComparer.Ordinal);
        return new LayerwiseLeeReport
        {
            Transform = transform.Name,
            Aggregation = options.Aggregation,
            Total = LeeResult.Of(transform.Name, options.Aggregation, equivariantOutput, LieDerivativeMethod.ForwardMode, total),
            Layers = layers,
            ShareByRole = byRole,
            SumRelativeResidual = residual,
            Samples = total.Count,
        };
    }

    /// <summary>Per-layer attribution of an nn or TorchScript model split into its top-level children (verified).</summary>
    public static LayerwiseLeeReport Measure(TensorModel model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        using var probe = x.narrow(0, 0, Math.Min(x.size(0), 4));
        var stages = LieStages.FromModule(model, probe);
        return Measure(stages, x, transform, options);
    }

    /// <summary>Per-layer attribution of a TorchScript model loaded with taps; layer types come from the archive's classes.</summary>
    internal static LayerwiseLeeReport Measure(Jit.TappedScriptModule model, Tensor x, IContinuousTransform transform, LieOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x);
        using var probe = x.narrow(0, 0, Math.Min(x.size(0), 4));
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var scope = NewDisposeScope())
        using (no_grad())
            foreach (var tap in model.ForwardWithTaps(probe).Taps) types.TryAdd(tap.Name, tap.TypeName);
        var stages = LieStages.FromModule(model.Module, probe, typeNames: types);
        return Measure(stages, x, transform, options);
    }


    internal static LayerRole RefineRole(LayerRole declared, Tensor input, Tensor output)
    {
        var si = input.shape;
        var so = output.shape;
        if (si.Length == 4 && so.Length == 4 && si[2] >= 2 && si[3] >= 2)
        {
            if (so[2] == 1 && so[3] == 1) return LayerRole.GlobalPooling;
            if (so[2] < si[2] || so[3] < si[3]) return LayerRole.Downsampling;
        }
        // N×C×H×W → N×C without a declared role: a global pooling written as a function.
        if (declared == LayerRole.Other && si.Length == 4 && si[2] >= 2 && so.Length == 2 && so[1] == si[1])
            return LayerRole.GlobalPooling;
        return declared;
    }
}
