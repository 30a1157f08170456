using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Regularizer;

/// <summary>
/// The reference package's description (shared/reference/regularizer-spec.md), sentence by sentence, in the two C#
/// spellings a porting user reaches for: a collection expression and an array of tuples.
/// </summary>
public class SpecFormsTests
{
    private static readonly Func<Tensor, Tensor> Identity = x => x;
    private static readonly Func<Tensor, Tensor> Rot = x => x.rot90(1, (-2, -1));
    private static readonly Func<Tensor, Tensor> ShiftByOnePixel = x => x.roll(1, -1);

    private static nn.Module<Tensor, Tensor> Classifier()
    {
        torch.manual_seed(3);
        return nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1)),
            ("flatten", nn.Flatten()), ("fc", nn.Linear(4, 3)));
    }

    // "EquivarianceError(model, shape, transforms, dist=2, n=1, num_funcs=1, bounds=[0,1])"
    [Test]
    public void Constructor_TakesTheSpecsArguments_WithItsDefaults()
    {
        using var model = Classifier();
        using var reg = new EquivarianceError(model, [1, 6, 6], [(Identity, Rot, 0.0, 1.0)], dist: 2);
        Assert.That((reg.N, reg.NumFuncs, reg.Dist.Name), Is.EqualTo((1, 1, "l2")));
        using var scope = NewDisposeScope();
        Assert.That(reg.call().shape, Is.Empty, "called with no arguments: one scalar over n random points");
    }

    // "transforms is a list of tuples (f_out, f_in, epsilon, lambda_eq)" — output first, applied as given.
    [Test]
    public void FourTuples_OfPlainFunctions_AreOutputFirst_InBothSpellings()
    {
        using var model = new ScaleModel(2); // model(x) = 2x
        using var scope = NewDisposeScope();
        var v = rand(3, 1, 4, 4);
        Func<Tensor, Tensor> plusOne = x => x + 1;
        // f_out = +1 on outputs: ‖(2v + 1) − 2v‖ = ‖1‖ = 4 per sample; f_in = +1 on inputs instead: ‖2v − 2(v + 1)‖ = 8.
        using var collection = new EquivarianceError(model, [1, 4, 4], [(plusOne, Identity, 0.0, 1.0)]);
        (Func<Tensor, Tensor>, Func<Tensor, Tensor>, double, double)[] array = { (Identity, plusOne, 0.0, 1.0) };
        using var fromArray = new EquivarianceError(model, new long[] { 1, 4, 4 }, array);
        Assert.That(collection.call(v).item<float>(), Is.EqualTo(4).Within(1e-5));
        Assert.That(fromArray.call(v).item<float>(), Is.EqualTo(8).Within(1e-5));
        Assert.That(collection.Transforms[0].Symmetry.Output.Name, Is.EqualTo("f_out"));
        Assert.That(collection.Transforms[0].Symmetry.Input.Name, Is.EqualTo("f_in"));
    }

    // "If f_out equals f_in, f_in should be omitted, so that the tuple is (f_out, epsilon, lambda_eq)."
    [Test]
    public void ThreeTuples_OfTransforms_AndOfFunctions_Convert()
    {
        using var model = new IdentityModel();
        using var scope = NewDisposeScope();
        var v = rand(2, 1, 4, 4);
        using var typed = new EquivarianceError(model, [1, 4, 4], [(new RotationByQuarterTurns(), 0.0, 1.0)]);
        (IGroupTransform, double, double)[] array = { (new RotationByQuarterTurns(), 0.0, 1.0) };
        using var typedArray = new EquivarianceError(model, new long[] { 1, 4, 4 }, array);
        using var plain = new EquivarianceError(model, [1, 4, 4], [(Rot, 0.0, 1.0)]);
        Assert.That(typed.call(v).item<float>(), Is.EqualTo(0).Within(1e-6), "the identity commutes with a rotation of input and output");
        Assert.That(typedArray.call(v).item<float>(), Is.EqualTo(0).Within(1e-6));
        Assert.That(plain.call(v).item<float>(), Is.EqualTo(0).Within(1e-6));
    }

    // "the transform should be input as (f_out, epsilon, lambda_eq), and the package will make sure that the exact same
    // random transformation is applied to both the input and output" — and two functions are applied as given.
    [Test]
    public void RandomFunction_InAThreeTuple_TransformsInputAndOutputAlike_InAFourTupleIndependently()
    {
        Func<Tensor, Tensor> randomTurn = x => x.rot90(randint(0, 4, new long[] { 1 }).item<long>(), (-2, -1));
        using var model = new IdentityModel();
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        var v = rand(4, 1, 5, 5);
        using var shared = new EquivarianceError(model, [1, 5, 5], [(randomTurn, 0.0, 1.0)]);
        using var independent = new EquivarianceError(model, [1, 5, 5], [(randomTurn, randomTurn, 0.0, 1.0)]);
        var sharedValues = Enumerable.Range(0, 20).Select(_ => shared.call(v).item<float>()).ToArray();
        var independentValues = Enumerable.Range(0, 20).Select(_ => independent.call(v).item<float>()).ToArray();
        Assert.That(sharedValues, Has.All.EqualTo(0).Within(1e-6), "one random turn for input and output: the identity model is equivariant");
        Assert.That(independentValues.Count(d => d > 0.1), Is.GreaterThan(5), "independent turns differ in about 3 of 4 calls");
    }

    // "The user could also pass in an integer p (or the string 'inf') … or one of the strings "cross_entropy" or "cross_entropy_logits"."
    [Test]
    public void Dist_AcceptsEverySpellingTheSpecLists()
    {
        using var model = Classifier();
        using var scope = NewDisposeScope();
        var v = rand(4, 1, 6, 6);
        Func<Tensor, Tensor, Tensor> scalarDistance = (a, b) => (a - b).abs().mean();
        var values = new (string name, Distance dist)[]
        {
            ("1", 1), ("2", 2), ("inf", "inf"), ("ce", "cross_entropy_logits"), ("scalar delegate", scalarDistance),
            ("per-sample delegate", (Func<Tensor, Tensor, Tensor>)((a, b) => (a - b).square().sum(1))), ("named", Distance.L2),
        }.Select(d =>
        {
            using var reg = new EquivarianceError(model, [1, 6, 6], [(Identity, Rot, 0.0, 1.0)], dist: d.dist);
            return reg.call(v).item<float>();
        }).ToArray();
        Assert.That(values, Has.All.GreaterThan(0));
        using var softmaxModel = nn.Sequential(("net", Classifier()), ("softmax", nn.Softmax(1)));
        using var ce = new EquivarianceError(softmaxModel, [1, 6, 6], [(Identity, Rot, 0.0, 1.0)], dist: "cross_entropy");
        using var ceLogits = new EquivarianceError(model, [1, 6, 6], [(Identity, Rot, 0.0, 1.0)], dist: "cross_entropy_logits");
        Assert.That(ce.call(v).item<float>(), Is.EqualTo(ceLogits.call(v).item<float>()).Within(1e-4),
            "\"cross_entropy\" on a softmax model is \"cross_entropy_logits\" on its logits");
    }

    // "def cross_entropy_logits(tensor1, tensor2): … return torch.dist(tensor1, tensor2, 2)" (per sample)
    [Test]
    public void CrossEntropyLogits_IsTheSpecsFunction_PerSample()
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { 3, 5 }, dtype: float64);
        var b = randn(new long[] { 3, 5 }, dtype: float64);
        var ours = Distance.Parse("cross_entropy_logits").PerSample(a, b).ToArrayDouble();
        var spec = Enumerable.Range(0, 3).Select(i => dist(a[i].log_softmax(-1), b[i].log_softmax(-1), 2).item<double>()).ToArray();
        Assert.That(ours, Is.EqualTo(spec).Within(1e-12));
    }

    // "If called with a single tensor argument, the equivariance error will be calculated at that point."
    // The dog example: a one-pixel shift with f_out the identity and ε above the error costs nothing.
    [Test]
    public void DogExample_ShiftWithinEpsilon_CostsNothing_AboveItCostsLambdaTimesTheExcess()
    {
        using var model = Classifier();
        using var scope = NewDisposeScope();
        var v = rand(8, 1, 6, 6);
        using var probe = new EquivarianceError(model, [1, 6, 6], [(Identity, ShiftByOnePixel, 0.0, 1.0)]);
        double error = probe.call(v).item<float>();
        Assert.That(error, Is.GreaterThan(0));
        using var tolerant = new EquivarianceError(model, [1, 6, 6], [(Identity, ShiftByOnePixel, error * 2, 1.0)]);
        using var strict = new EquivarianceError(model, [1, 6, 6], [(Identity, ShiftByOnePixel, error / 2, 3.0)]);
        Assert.That(tolerant.call(v).item<float>(), Is.EqualTo(0));
        Assert.That(strict.call(v).item<float>(), Is.EqualTo(3 * error / 2).Within(1e-5));
    }

    // "it is advisable to alternate between a standard training step and a training step that only does a backwards
    // pass of the equivariance error."
    [Test]
    public void AlternatingSteps_LowerTheError()
    {
        using var model = Classifier();
        using var optimizer = optim.Adam(model.parameters(), lr: 0.05);
        using var reg = new EquivarianceError(model, [1, 6, 6], [(Identity, Rot, 0.0, 1.0)], dist: "cross_entropy_logits", n: 16,
            options: new EquivarianceErrorOptions { Seed = 4 });
        var x = rand(16, 1, 6, 6);
        var y = randint(0, 3, new long[] { 16 });
        double first = double.NaN, last = double.NaN;
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            if (step % 2 == 0)
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
            }
            else
            {
                last = reg.StepRegularizerOnly(optimizer);
                if (step == 1) first = last;
            }
        }
        Assert.That(last, Is.LessThan(first * 0.5));
    }
}
