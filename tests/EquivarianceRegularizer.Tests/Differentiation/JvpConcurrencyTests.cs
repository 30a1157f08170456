using EquivarianceRegularizer.Differentiation;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>libtorch has one process-wide forward-AD level: concurrent jvps must take turns, never nest.</summary>
public class JvpConcurrencyTests
{
    [Test]
    public void TwoThreadsAtOnce_EachGetTheirOwnExactTangent([Values(JvpMethod.ForwardMode, JvpMethod.Auto)] JvpMethod method)
    {
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(worker => new Thread(() =>
        {
            try
            {
                using var scope = NewDisposeScope();
                var model = Cnns.EvalReluCnn(ScalarType.Float64, seed: 100 + worker);
                var (x, v) = JvpReference.ImagesAndDirection(ScalarType.Float64, seed: 200 + worker);
                var expected = Jvp.Compute(model.call, x, v, JvpMethod.DoubleBackward).Tangent;
                start.SignalAndWait();
                for (int run = 0; run < 25; run++)
                {
                    using var runScope = NewDisposeScope();
                    var (_, tangent) = Jvp.Compute(model.call, x, v, method);
                    double error = JvpReference.RelativeError(tangent, expected);
                    if (!(error < 1e-12)) failures.Enqueue($"worker {worker}, run {run}: relative error {error}");
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"worker {worker}: {e}");
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.That(t.Join(TimeSpan.FromMinutes(2)), Is.True, "a worker hung"));
        Assert.That(failures, Is.Empty);
    }
}
