using EquivarianceRegularizer.Differentiation;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// Where the LEE's time goes on <see cref="LieDerivativeBenchmarks"/>' CNN (batch 64), and the floor of a forward-mode
/// jvp there. Per layer: the primal forward, the layer's forward-mode jvp (a dual input), and for each convolution the
/// two convolutions libtorch's jvp formula adds (convolution_jvp: conv(dx, W) + conv(x, dW), where the weight's
/// undefined tangent dW becomes a zero tensor that is materialized and convolved at full cost); channels-last
/// variants of each layer; and the double-backward jvp split into its forward and its two passes. Interleaved thread
/// CPU time and page faults, medians over the rounds, as in <see cref="InterleavedRatioCheck"/>.
/// Run: <c>dotnet run -c Release --project benchmarks/EquivarianceRegularizer.Benchmarks -- --lee-profile [rounds]</c>
/// </summary>
internal static class LeeProfile
{
    public const string Flag = "--lee-profile";

    public static void Run(int rounds)
    {
        var bench = new LieDerivativeBenchmarks { Batch = 64 };
        bench.Setup();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var layers = bench.Model.named_children().Select(c => (Name: c.name, Module: (nn.Module<Tensor, Tensor>)c.module)).ToList();
            var x = bench.Input;
            var v = bench.InputTangent;

            // Each layer's input and its tangent, from a forward-mode jvp of the layers before it.
            var inputs = new List<(Tensor H, Tensor Dh)>();
            var (h, dh) = (x, v);
            foreach (var (_, layer) in layers)
            {
                inputs.Add((h, dh));
                (h, dh) = Jvp.Compute(layer.call, h, dh, JvpMethod.ForwardMode);
            }

            var rows = new List<Row>
            {
                new("forward", () => bench.Forward()),
                new("LEE forward mode", () => bench.LeeForwardMode()),
                new("jvp forward mode", () => bench.JvpOnly()),
                new("input tangent", () => bench.TangentOnly()),
                new("LEE double backward", () => bench.LeeDoubleBackward()),
                new("forward with grad", () => ForwardWithGrad(bench.Model.call, x)),
                new("forward + 1st backward", () => DoubleBackward(bench.Model.call, x, v, secondPass: false)),
                new("double-backward jvp", () => DoubleBackward(bench.Model.call, x, v, secondPass: true)),
            };
            foreach (var ((name, layer), (hi, dhi)) in layers.Zip(inputs))
            {
                rows.Add(new($"{name} primal", () => Sum(layer.call(hi)), name, Kind.Primal));
                rows.Add(new($"{name} jvp", () => Sum(Jvp.Compute(layer.call, hi, dhi, JvpMethod.ForwardMode).Tangent), name, Kind.Jvp));
                if (layer is TorchSharp.Modules.Conv2d conv)
                {
                    var w = conv.weight!;
                    var zeroWeight = zeros_like(w);
                    long[] padding = [conv.padding![0], conv.padding![1]];
                    rows.Add(new($"{name} conv(dx, W)", () => Sum(nn.functional.conv2d(dhi, w, null, padding: padding)), name, Kind.TangentConv));
                    rows.Add(new($"{name} conv(x, 0)", () => Sum(nn.functional.conv2d(hi, zeroWeight, null, padding: padding)), name, Kind.ZeroConv));
                }
                if (hi.dim() == 4 && hi.size(1) > 1)
                {
                    var hcl = ChannelsLast(hi);
                    var dhcl = ChannelsLast(dhi);
                    rows.Add(new($"{name} primal, channels-last", () => Sum(layer.call(hcl)), name, Kind.PrimalChannelsLast));
                    rows.Add(new($"{name} jvp, channels-last", () => Sum(Jvp.Compute(layer.call, hcl, dhcl, JvpMethod.ForwardMode).Tangent), name, Kind.JvpChannelsLast));
                }
            }
            Report(rounds, rows, layers.Select(l => l.Name).ToList());
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private enum Kind { Total, Primal, Jvp, TangentConv, ZeroConv, PrimalChannelsLast, JvpChannelsLast }

    private sealed record Row(string Name, Func<double> Run, string? Layer = null, Kind Kind = Kind.Total);

    private static double ForwardWithGrad(Func<Tensor, Tensor> f, Tensor x)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        return f(x.detach().requires_grad_()).sum().ToDouble();
    }

    // The double-backward jvp as LieDerivative.EvaluateByDoubleBackward computes it (backward with inputs, the last pass
    // without retaining the graph), optionally stopped after the
    // first (create_graph) backward pass, to split its cost.
    private static double DoubleBackward(Func<Tensor, Tensor> f, Tensor x, Tensor v, bool secondPass)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var xg = x.detach().requires_grad_();
        var y = f(xg);
        var u = zeros_like(y).requires_grad_();
        y.backward([u], retain_graph: true, create_graph: true, inputs: [xg]);
        var g = xg.grad!;
        if (!secondPass) return g.detach().sum().ToDouble();
        g.backward([v], retain_graph: false, create_graph: false, inputs: [u]);
        return u.grad!.sum().ToDouble();
    }

    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static double Sum(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.sum().ToDouble();
    }

    private static void Report(int rounds, List<Row> rows, List<string> layerNames)
    {
        const int warmUp = 5;
        var times = rows.Select(_ => new List<double>()).ToArray();
        var faults = rows.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds + warmUp; round++)
        {
            for (int i = 0; i < rows.Count; i++)
            {
                using var scope = NewDisposeScope();
                long f0 = PageFaults.Minor();
                long t0 = ThreadCpuClock.Instance.GetTimestamp();
                rows[i].Run();
                long t1 = ThreadCpuClock.Instance.GetTimestamp();
                long f1 = PageFaults.Minor();
                if (round < warmUp) continue;
                times[i].Add((t1 - t0) / 1e6);
                faults[i].Add(f1 - f0);
            }
        }
        var median = times.Select(t => Median(t)).ToArray();
        double forward = median[0];
        Console.WriteLine($"LEE profile, batch 64, {rounds} rounds after {warmUp} warm-up rounds, 1 libtorch thread " +
            "(medians of thread CPU time; × forward = median of the per-round ratios):");
        for (int i = 0; i < rows.Count; i++)
        {
            var ratios = times[i].Zip(times[0], (t, b) => t / b).ToList();
            Console.WriteLine(FormattableString.Invariant(
                $"  {rows[i].Name,-30} {median[i],8:F3} ms  {Median(ratios),6:F3} × forward  {Median(faults[i]),6:F0} page faults"));
        }

        double Total(Kind kind) => rows.Select((r, i) => r.Kind == kind ? median[i] : 0).Sum();
        double primal = Total(Kind.Primal), jvp = Total(Kind.Jvp), tangentConv = Total(Kind.TangentConv), zeroConv = Total(Kind.ZeroConv);
        Console.WriteLine(FormattableString.Invariant($"""
            Sums of the per-layer medians (each layer's jvp includes its own level and dual-tensor overhead):
              primal layers                  {primal,8:F3} ms  {primal / forward,6:F3} × forward
              layer jvps (libtorch formulas) {jvp,8:F3} ms  {jvp / forward,6:F3} × forward
              of which conv(dx, W)           {tangentConv,8:F3} ms  {tangentConv / forward,6:F3} × forward
              of which conv(x, 0)            {zeroConv,8:F3} ms  {zeroConv / forward,6:F3} × forward
              layer jvps without conv(x, 0)  {jvp - zeroConv,8:F3} ms  {(jvp - zeroConv) / forward,6:F3} × forward
              forward + conv(dx, W) only     {forward + tangentConv,8:F3} ms  {(forward + tangentConv) / forward,6:F3} × forward
            """));
        foreach (var layer in layerNames)
        {
            double Of(Kind kind) => rows.Select((r, i) => r.Layer == layer && r.Kind == kind ? median[i] : 0).Sum();
            if (Of(Kind.PrimalChannelsLast) > 0)
                Console.WriteLine(FormattableString.Invariant(
                    $"  {layer,-8} NCHW primal {Of(Kind.Primal),7:F3} jvp {Of(Kind.Jvp),7:F3} | channels-last primal {Of(Kind.PrimalChannelsLast),7:F3} jvp {Of(Kind.JvpChannelsLast),7:F3} ms"));
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
