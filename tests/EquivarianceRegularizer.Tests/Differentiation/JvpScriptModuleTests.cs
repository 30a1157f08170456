using System.Text.Json;
using EquivarianceRegularizer.Differentiation;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>
/// Both jvp methods through a TorchScript model made by PyTorch 1.13 (tests/fixtures/jvp/generate_jvp_fixtures.py),
/// against PyTorch's own forward AD. Repeated runs matter: TorchScript's profiling executor optimises the graph
/// after the first runs, and the tangent must survive that.
/// </summary>
public class JvpScriptModuleTests
{
    private static string Fixture(string name) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "jvp", name);

    private static (Tensor X, Tensor V, Tensor Output, Tensor Tangent) Reference()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixture("jvp_cnn_reference.json")));
        var root = document.RootElement;
        long[] shape = root.GetProperty("input_shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        Tensor Read(string name) =>
            tensor(root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray(), dtype: ScalarType.Float64);
        return (Read("input").reshape(shape), Read("tangent_in").reshape(shape), Read("output").reshape(shape[0], 3),
            Read("tangent_out").reshape(shape[0], 3));
    }

    private static jit.ScriptModule<Tensor, Tensor> LoadModel(ScalarType dtype)
    {
        var model = jit.load<Tensor, Tensor>(Fixture("jvp_cnn_scripted.pt"));
        model.eval();
        model.to(dtype);
        return model;
    }

    [Test]
    public void ForwardMode_OnScriptModule_MatchesPyTorchForwardAd_OverRepeatedRuns()
    {
        using var scope = NewDisposeScope();
        var model = LoadModel(ScalarType.Float64);
        var (x, v, expectedOutput, expectedTangent) = Reference();

        for (int run = 0; run < 12; run++)
        {
            using var runScope = NewDisposeScope();
            var (output, tangent) = Jvp.Compute(model.call, x, v, JvpMethod.ForwardMode);
            Assert.That(JvpReference.RelativeError(tangent, expectedTangent), Is.LessThan(1e-12), $"run {run}");
            Assert.That(JvpReference.RelativeError(output, expectedOutput), Is.LessThan(1e-12), $"run {run}");
        }
    }

    [Test]
    public void DoubleBackward_OnScriptModule_MatchesPyTorchForwardAdAndFiniteDifference_OverRepeatedRuns()
    {
        using var scope = NewDisposeScope();
        var model = LoadModel(ScalarType.Float64);
        var (x, v, _, expectedTangent) = Reference();
        var difference = JvpReference.CentralDifference(model.call, x, v);
        Assert.That(JvpReference.RelativeError(difference, expectedTangent), Is.LessThan(1e-6));

        for (int run = 0; run < 6; run++)
        {
            using var runScope = NewDisposeScope();
            var (_, tangent) = Jvp.Compute(model.call, x, v, JvpMethod.DoubleBackward);
            Assert.That(JvpReference.RelativeError(tangent, expectedTangent), Is.LessThan(1e-12), $"run {run}");
        }
    }

    [Test]
    public void BothMethods_OnScriptModuleInFloat32_AgreeOverInterleavedRuns()
    {
        using var scope = NewDisposeScope();
        var model = LoadModel(ScalarType.Float32);
        var (x64, v64, _, expectedTangent) = Reference();
        var x = x64.to(float32);
        var v = v64.to(float32);

        for (int run = 0; run < 8; run++)
        {
            using var runScope = NewDisposeScope();
            var method = run % 2 == 0 ? JvpMethod.ForwardMode : JvpMethod.DoubleBackward;
            var (_, tangent) = Jvp.Compute(model.call, x, v, method);
            Assert.That(tangent.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(JvpReference.RelativeError(tangent, expectedTangent), Is.LessThan(1e-5), $"run {run} ({method})");
        }
    }

    [Test]
    public void CreateGraph_OnScriptModule_GradientsWrtParametersEqualBetweenMethods()
    {
        using var scope = NewDisposeScope();
        var model = LoadModel(ScalarType.Float64);
        var (x, v, _, _) = Reference();

        var gradients = new List<List<Tensor>>();
        foreach (var method in new[] { JvpMethod.ForwardMode, JvpMethod.DoubleBackward, JvpMethod.ForwardMode })
        {
            model.zero_grad();
            var (_, tangent) = Jvp.Compute(model.call, x, v, method, createGraph: true);
            tangent.square().sum().backward();
            gradients.Add(model.parameters().Select(p => p.grad?.clone() ?? zeros_like(p)).ToList());
        }
        Assert.That(gradients[0], Has.Count.GreaterThan(4));
        for (int i = 0; i < gradients[0].Count; i++)
        {
            if (gradients[1][i].abs().max().item<double>() == 0) continue;
            Assert.That(JvpReference.RelativeError(gradients[0][i], gradients[1][i]), Is.LessThan(1e-10), $"parameter {i}");
            Assert.That(JvpReference.RelativeError(gradients[2][i], gradients[1][i]), Is.LessThan(1e-10), $"parameter {i}, again");
        }
    }

    [Test]
    public void ForwardMode_OnResidualScriptModuleWarmedUpWithGrad_KeepsTheWholeTangent([Values] bool createGraph)
    {
        using var scope = NewDisposeScope();
        var model = jit.load<Tensor, Tensor>(Fixture("jvp_residual_scripted.pt"));
        model.eval();
        model.to(float64);
        using var generator = new Generator(5);
        var x = rand([2, 1, 10, 10], dtype: float64, generator: generator);
        var v = randn([2, 1, 10, 10], dtype: float64, generator: generator);
        // Training-like calls with grad: after these the profiling executor runs its optimised, differentiable plan.
        for (int warmUp = 0; warmUp < 4; warmUp++)
        {
            using var warmUpScope = NewDisposeScope();
            model.call(x.detach().requires_grad_(true)).sum().backward();
        }
        var expected = JvpReference.CentralDifference(model.call, x, v);

        for (int run = 0; run < 4; run++)
        {
            using var runScope = NewDisposeScope();
            var (_, tangent) = Jvp.Compute(model.call, x, v, JvpMethod.ForwardMode, createGraph);
            Assert.That(JvpReference.RelativeError(tangent, expected), Is.LessThan(1e-7), $"run {run}");
            model.call(x.detach().requires_grad_(true)).sum().backward();
        }
    }
}
