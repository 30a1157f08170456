using System.Runtime.InteropServices;
using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Transforms;

/// <summary>
/// Transforms act on tensors wherever they are: every tensor a transform makes follows its input's device. No CUDA
/// backend is served here, so libtorch's "meta" device (shapes without data) stands in: a tensor made on the CPU and
/// mixed with a meta tensor fails just as it would against a CUDA one. libtorch 2.10 has no meta kernel for flip, roll,
/// index_select or grid_sample, so the finite index transforms (rot90, flips, d4, roll) and image resampling cannot be
/// checked this way; what is checked: every tangent (the Lie derivatives' input), the channel flows, the vector
/// rotations and permutations.
/// </summary>
public class DeviceTests
{
    private static readonly Device Meta = new(DeviceType.META);

    private static IEnumerable<TestCaseData> Transforms()
    {
        foreach (var e in TransformCatalogue.All.Where(e => e.Name is not ("rot90" or "flip-h" or "flip-v" or "d4" or "roll")))
        {
            long[] shape = e.Name switch
            {
                "so2-vector" => new long[] { 4, 2 }, "so3-vector" => new long[] { 4, 3 }, "permute" => new long[] { 4, 3 },
                "saturation" or "hue" => new long[] { 3, 8, 8 }, _ => new long[] { 1, 8, 8 },
            };
            yield return new TestCaseData(e.Name, shape).SetName($"Transform_{e.Name}_FollowsTheInputsDevice");
        }
    }

    [TestCaseSource(nameof(Transforms))]
    public void Transform_FollowsTheInputsDevice(string name, long[] shape)
    {
        using var scope = NewDisposeScope();
        var t = TransformCatalogue.Create(name, shape);
        var x = empty(new[] { 5L }.Concat(shape).ToArray(), device: Meta);
        using var g = new Generator(3);
        // Group elements are parameters, drawn on the CPU; a finite group's element is the same for every sample so
        // that no index_select (no meta kernel) is needed.
        using var elements = t.Group is FiniteGroup f ? f.Element(Math.Min(1, f.Order - 1), 5) : t.Group.Sample(5, g);
        var ran = new List<string>();
        var notCheckable = new List<string>();
        void Check(string what, Func<Tensor> op)
        {
            try
            {
                var y = op();
                Assert.That(y.device_type, Is.EqualTo(DeviceType.META), what);
                ran.Add(what);
            }
            catch (ExternalException e) when (e.Message.Contains("Meta kernel registered", StringComparison.Ordinal))
            {
                notCheckable.Add(what + " (" + e.Message.Split(':')[0] + ")");
            }
        }
        Check("Apply", () => t.Apply(x, elements));
        if (t is IContinuousTransform c)
        {
            Check("ApplyAt", () => c.ApplyAt(x, 0.1));
            Check("Tangent", () => c.Tangent(x));
        }
        TestContext.Out.WriteLine($"{name}: checked {string.Join(", ", ran)}; not checkable on meta: {string.Join(", ", notCheckable)}");
        Assert.That(ran, Is.Not.Empty, "at least one of the transform's operations runs on the meta device");
        if (t is IContinuousTransform) Assert.That(ran, Does.Contain("Tangent"));
    }
}
