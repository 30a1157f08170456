using EquivarianceRegularizer.Distances;
using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

// Soak: N regularized training steps of a small CNN (cross-entropy + rotation-invariance regularizer, Adam), the
// user's loop from docs (one dispose scope per step). Reports live tensors (TorchSharp's
// DisposeScopeManager.Statistics.ThreadTotalLiveCount: tensors created on this thread and not yet disposed) and VmRSS
// at checkpoints after a warm-up; exits 1 when live tensors are not flat or VmRSS grows 5% or more after warm-up.
// At every checkpoint it also audits the training model mid-run (the float64 re-run converts it) and checks that the
// optimizer's Parameter objects survive, and runs one regularizer of a BatchNorm model from --shared-threads threads at
// once, checking that momentum, running statistics and batch counters come back as they were, and calls each result
// that used to be silently wrong (a batch-collapsing model in the LEE and the unbatched kernel, a negative custom
// distance, a disposed Generator, λ = 1e39, InputShape disagreeing with Inputs, an unknown LayerActions key), checking
// that each is refused with its clear error and that the refused calls leave no tensor behind.
// Usage: dotnet run -c Release --project tools/EquivarianceRegularizer.Soak -- [--steps 50000] [--warmup 10000] [--checkpoints 10] [--threads 1] [--shared-threads 4] [--refusals 1]
// (--shared-threads 0 and --refusals 0 leave those checks out, to tell their memory from the training loop's.)
// One libtorch thread by default: on a shared machine two OpenMP threads spin-wait for each other (measured at load
// average ~5 on 2 cores: 4.0 ms/step with one thread, 26 ms/step with libtorch's default two).
var options = new Dictionary<string, int>();
for (int i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
int steps = options.GetValueOrDefault("steps", 50_000);
int warmup = options.GetValueOrDefault("warmup", 10_000);
int checkpoints = options.GetValueOrDefault("checkpoints", 10);
int sharedThreads = options.GetValueOrDefault("shared-threads", 4);
bool refusals = options.GetValueOrDefault("refusals", 1) != 0;
set_num_threads(options.GetValueOrDefault("threads", 1));

static long LiveTensors() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

// After a full collection, so that tensors left to finalizers (none should be) are counted as released.
static long SettledLiveTensors()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return LiveTensors();
}

static long ResidentKilobytes()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return long.Parse(new string(line.Where(char.IsDigit).ToArray()), CultureInfo.InvariantCulture);
    throw new InvalidOperationException("/proc/self/status has no VmRSS line.");
}

manual_seed(1);
using var model = nn.Sequential(
    nn.Conv2d(1, 4, 3, padding: 1), nn.ReLU(),
    nn.Conv2d(4, 4, 3, padding: 1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3));
using var optimizer = optim.Adam(model.parameters(), lr: 1e-3);
using var criterion = nn.CrossEntropyLoss();
using var regularizer = new EquivarianceError(model, new long[] { 1, 8, 8 },
    new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns(), 0, 0.5) },
    dist: Distance.CrossEntropyLogits, n: 4, options: new EquivarianceErrorOptions { Seed = 7 });
using var data = new Generator(3);
using var x = randn(new long[] { 8, 1, 8, 8 }, generator: data);
using var y = randint(0, 3, new long[] { 8 }, generator: data);

// Checkpoint checks: an audit mid-training keeps the optimizer's parameters; a regularizer shared by threads leaves BatchNorm.
var trained = model.parameters().ToList();
bool AuditKeepsParameters()
{
    EquivarianceRegularizer.Audit.Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
        new EquivarianceRegularizer.Audit.AuditOptions { InputShape = new long[] { 1, 8, 8 }, Samples = 4, Layers = false });
    var after = model.parameters().ToList();
    return after.Count == trained.Count && after.Zip(trained).All(p => ReferenceEquals(p.First, p.Second)) && after.All(p => p.dtype == ScalarType.Float32);
}
using var bnModel = nn.Sequential(nn.Conv2d(1, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten());
using var bnRegularizer = new EquivarianceError(bnModel, new long[] { 1, 8, 8 },
    new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 4, options: new EquivarianceErrorOptions { Seed = 11 });
bool SharedRegularizerLeavesBatchNorm()
{
    using var checkScope = NewDisposeScope();
    var bn = bnModel.modules().OfType<TorchSharp.Modules.BatchNorm>().Single();
    var before = bnModel.buffers().Select(b => b.clone()).ToList();
    var workers = Enumerable.Range(0, sharedThreads).Select(_ => new Thread(() =>
    {
        for (int k = 0; k < 5; k++)
        {
            using var scope = NewDisposeScope();
            bnRegularizer.call(x).backward();
        }
    })).ToList();
    workers.ForEach(t => t.Start());
    workers.ForEach(t => t.Join());
    return bn.momentum == 0.1 && bnModel.buffers().Zip(before).All(p => p.First.eq(p.Second).all().item<bool>());
}
// Each case: the call, the exception it must throw, and a fragment of its message.
using var collapsing = new BatchMean();
(string Case, Action Call, Type Expected, string Fragment)[] silentlyWrong =
{
    ("LEE of a model returning 1 row for 8", () => EquivarianceRegularizer.Lie.LocalEquivarianceError.Measure(v => v.mean(new long[] { 0 }, keepdim: true), randn(8, 1, 8, 8), new Rotation()),
        typeof(InvalidOperationException), "keep the batch axis"),
    ("unbatched kernel with a model returning 1 row for 4", () =>
    {
        using var r = new EquivarianceError(collapsing, new long[] { 4 }, new[] { ((Func<Tensor, Tensor>)(v => v + 1), 0.0, 1.0) },
            options: new EquivarianceErrorOptions { Evaluation = EquivarianceRegularizer.Evaluation.EvaluationOptions.Default with { Batched = false } });
        r.call(randn(4, 4));
    }, typeof(InvalidOperationException), "one output row per input row"),
    ("custom distance returning negatives", () =>
    {
        using var r = new EquivarianceError(model, new long[] { 1, 8, 8 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) },
            dist: (Func<Tensor, Tensor, Tensor>)((a, b) => -(a - b).abs().flatten(1).sum(1)), n: 4);
        r.Estimate(x).Dispose();
    }, typeof(InvalidOperationException), "negative"),
    ("disposed Generator", () =>
    {
        var g = new Generator(5);
        g.Dispose();
        using var r = new EquivarianceError(model, new long[] { 1, 8, 8 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) },
            n: 4, options: new EquivarianceErrorOptions { Generator = g });
    }, typeof(ArgumentException), "has been disposed"),
    ("λ = 1e39", () =>
    {
        using var r = new EquivarianceError(model, new long[] { 1, 8, 8 }, new[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 4);
        r.Transforms[0].Lambda = 1e39;
    }, typeof(ArgumentOutOfRangeException), "float32"),
    ("InputShape disagreeing with Inputs", () => EquivarianceRegularizer.Audit.Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
        new EquivarianceRegularizer.Audit.AuditOptions { InputShape = new long[] { 1, 8, 8 }, Inputs = randn(2, 1, 12, 12), Samples = 2, Layers = false }),
        typeof(ArgumentException), "differs from the shape of one sample of Inputs"),
    ("unknown LayerActions key", () => EquivarianceRegularizer.Audit.Auditor.Audit(model, Symmetry.Invariant(new RotationByQuarterTurns()),
        new EquivarianceRegularizer.Audit.AuditOptions
        {
            InputShape = new long[] { 1, 8, 8 }, Samples = 2,
            LayerActions = new Dictionary<string, EquivarianceRegularizer.Audit.LayerActionOverride> { ["no_such_layer"] = EquivarianceRegularizer.Audit.LayerActionOverride.NotTestable("soak") },
        }), typeof(ArgumentException), "no_such_layer"),
};
string? SilentlyWrongRefused()
{
    if (!refusals) return null;
    var trainedBefore = model.parameters().ToList();
    long before = SettledLiveTensors();
    foreach (var (name, call, expected, fragment) in silentlyWrong)
    {
        using var scope = NewDisposeScope();
        try
        {
            call();
            return $"{name}: no error";
        }
        catch (Exception e) when (expected.IsInstanceOfType(e))
        {
            if (!e.Message.Contains(fragment, StringComparison.Ordinal)) return $"{name}: message without '{fragment}': {e.Message}";
        }
        catch (Exception e)
        {
            return $"{name}: {e.GetType().Name} instead of {expected.Name}: {e.Message}";
        }
    }
    long after = SettledLiveTensors();
    if (after != before) return $"live tensors {before} before the refused calls, {after} after";
    if (!model.parameters().Zip(trainedBefore).All(p => ReferenceEquals(p.First, p.Second))) return "a refused call replaced the model's parameters";
    return null;
}
int checkFailures = 0;

double lastLoss = double.NaN;
void Step()
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = criterion.call(model.call(x), y) + regularizer.call(x);
    loss.backward();
    optimizer.step();
    lastLoss = loss.ToDouble();
}

// Warm-up: at least `warmup` steps and until the managed heap has gone through two more gen-0 collections (its
// budget grows until then, which shows as VmRSS growth unrelated to leaks).
var clock = Stopwatch.StartNew();
int gen0 = GC.CollectionCount(0);
int warmedUp = 0;
for (; warmedUp < warmup || (GC.CollectionCount(0) < gen0 + 2 && warmedUp < 100_000); warmedUp++) Step();
warmup = warmedUp;
// The checkpoint checks once inside the warm-up too: their one-time costs (JIT of the audit's code, the threads' stacks
// and allocator arenas) belong to the baseline, not to growth over the run.
{
    bool audited = AuditKeepsParameters(), shared = sharedThreads < 1 || SharedRegularizerLeavesBatchNorm();
    string? refused = SilentlyWrongRefused();
    if (!audited || !shared || refused is not null)
    {
        checkFailures++;
        Console.WriteLine($"  check failed in the warm-up: audit kept parameters {audited}, shared regularizer left BatchNorm {shared}, silently wrong cases: {refused ?? "all refused"}");
    }
}
long tensors0 = SettledLiveTensors();
long rss0 = ResidentKilobytes();
Console.WriteLine($"warm-up {warmup} steps in {clock.Elapsed.TotalSeconds:F1} s: live tensors {tensors0}, VmRSS {rss0} kB");
Console.WriteLine("step | live tensors | VmRSS kB | growth vs warm-up | managed heap kB | loss | s");
var tensorCounts = new List<long>();
long rssMax = rss0, rssLast = rss0;
int every = Math.Max(1, steps / checkpoints);
for (int i = 1; i <= steps; i++)
{
    Step();
    if (i % every == 0 || i == steps)
    {
        long h = LiveTensors();
        long rss = ResidentKilobytes();
        tensorCounts.Add(h);
        rssMax = Math.Max(rssMax, rss);
        rssLast = rss;
        Console.WriteLine($"{i} | {h} | {rss} | {(rss - rss0) / (double)rss0:P2} | {GC.GetGCMemoryInfo().HeapSizeBytes >> 10} | {lastLoss:F4} | {clock.Elapsed.TotalSeconds:F1}");
        // Outside the live-tensor count above (the checks create and free tensors of their own).
        bool audited = AuditKeepsParameters(), shared = sharedThreads < 1 || SharedRegularizerLeavesBatchNorm();
        string? refused = SilentlyWrongRefused();
        if (!audited || !shared || refused is not null)
        {
            checkFailures++;
            Console.WriteLine($"  check failed at step {i}: audit kept parameters {audited}, shared regularizer left BatchNorm {shared}, silently wrong cases: {refused ?? "all refused"}");
        }
    }
}
long tensorsEnd = SettledLiveTensors();
long rssEnd = ResidentKilobytes();
double growth = (rssLast - rss0) / (double)rss0;
double peakGrowth = (rssMax - rss0) / (double)rss0;
bool flat = tensorCounts.All(h => h == tensors0) && tensorsEnd == tensors0;
Console.WriteLine($"{warmup} warm-up + {steps} measured steps in {clock.Elapsed.TotalSeconds:F1} s ({clock.Elapsed.TotalMilliseconds / (steps + warmup):F3} ms/step)");
Console.WriteLine($"live tensors: {tensors0} after warm-up, checkpoints [{string.Join(", ", tensorCounts.Distinct())}], {tensorsEnd} at the end after a full GC -> {(flat ? "flat" : "NOT flat")}");
Console.WriteLine($"VmRSS: {rss0} kB after warm-up, {rssLast} kB at the end ({growth:P2}), peak {rssMax} kB ({peakGrowth:P2}), {rssEnd} kB after a full GC");
Console.WriteLine($"final loss {lastLoss:F4}, finite: {double.IsFinite(lastLoss)}");
Console.WriteLine($"checkpoint checks (audit keeps the optimizer's parameters; {sharedThreads} threads sharing a BatchNorm regularizer; {(refusals ? silentlyWrong.Length : 0)} silently-wrong cases refused, no tensor left): {(checkFailures == 0 ? "all passed" : $"{checkFailures} failed")}");
return flat && peakGrowth < 0.05 && double.IsFinite(lastLoss) && checkFailures == 0 ? 0 : 1;


// A model that averages over the batch: one output row whatever the batch (a mistake the library must refuse).
sealed class BatchMean() : nn.Module<Tensor, Tensor>(nameof(BatchMean))
{
    public override Tensor forward(Tensor input) => input.mean(new long[] { 0 }, keepdim: true);
}
