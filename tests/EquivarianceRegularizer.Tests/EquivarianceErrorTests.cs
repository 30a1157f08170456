using EquivarianceRegularizer.Groups;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using EquivarianceRegularizer.Sampling;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests;

public class EquivarianceErrorTests
{
    private static readonly EquivarianceErrorOptions Seeded = new() { Seed = 1234 };

    private static LambdaTransform AddConstant(double c) => new("add" + c, x => x + c);

    // ---- the value: error, hinge, λ --------------------------------------------------------------
    [TestCase(0.0, 1.0)]
    [TestCase(0.5, 2.0)]
    [TestCase(1.9, 3.0)]
    [TestCase(2.5, 3.0)] // ε above the error: no penalty
    public void Penalty_IsLambdaTimesHingeOfError(double epsilon, double lambda)
    {
        // model = identity, f_in(x) = x + 0.5, f_out = identity: every sample's l2 distance is 0.5·√16 = 2.
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, new long[] { 4, 4 },
            new EquivarianceTerm[] { (IdentityTransform.Instance, AddConstant(0.5), epsilon, lambda) }, n: 8, options: Seeded);
        using var scope = NewDisposeScope();
        double penalty = reg.call().ToDouble();
        Assert.That(reg.LastTerms![0].Error, Is.EqualTo(2.0).Within(1e-6));
        Assert.That(penalty, Is.EqualTo(lambda * Math.Max(0, 2.0 - epsilon)).Within(1e-5));
    }

    [Test]
    public void Penalty_SumsOverTerms()
    {
        using var model = new IdentityModel();
        using var reg = new EquivarianceError(model, new long[] { 4 }, new EquivarianceTerm[]
        {
            (IdentityTransform.Instance, AddConstant(1), 0.0, 1.0),   // error 2
            (IdentityTransform.Instance, AddConstant(2), 1.0, 0.5),   // error 4 → 0.5·3
        }, n: 3, numFuncs: 2, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(reg.call().ToDouble(), Is.EqualTo(2 + 1.5).Within(1e-5));
    }

    [Test]
    public void PerSampleHinge_AppliesTheThresholdToEachSample()
    {
        // f_in(x) = 2x on points (1,0) and (3,0): distances 1 and 3. ε = 2: batch hinge max(0, 2−2) = 0, per-sample mean(0, 1) = 0.5.
        using var model = new IdentityModel();
        var doubled = new LambdaTransform("double", x => x * 2.0);
        using var scope = NewDisposeScope();
        var points = tensor(new float[] { 1, 0, 3, 0 }, new long[] { 2, 2 });
        using var batchHinge = new EquivarianceError(model, new long[] { 2 }, new EquivarianceTerm[] { (IdentityTransform.Instance, doubled, 2.0, 1.0) });
        using var sampleHinge = new EquivarianceError(model, new long[] { 2 }, new EquivarianceTerm[] { (IdentityTransform.Instance, doubled, 2.0, 1.0) },
            options: new EquivarianceErrorOptions { PerSampleHinge = true });
        Assert.That(batchHinge.call(points).ToDouble(), Is.EqualTo(0).Within(1e-6));
        Assert.That(sampleHinge.call(points).ToDouble(), Is.EqualTo(0.5).Within(1e-6));
    }

    [Test]
    public void StandardError_IsSampleStdOverRootN()
    {
        using var model = new IdentityModel();
        var doubled = new LambdaTransform("double", x => x * 2.0);
        using var scope = NewDisposeScope();
        var points = tensor(new float[] { 1, 0, 3, 0, 0, 4, 2, 0 }, new long[] { 4, 2 }); // distances 1, 3, 4, 2
        using var reg = new EquivarianceError(model, new long[] { 2 }, new EquivarianceTerm[] { (IdentityTransform.Instance, doubled, 0.0, 1.0) });
        using var estimate = reg.Estimate(points);
        double mean = 2.5, sd = Math.Sqrt(((1.5 * 1.5) * 2 + 0.25 * 2) / 3);
        Assert.That(estimate.Terms[0].Error, Is.EqualTo(mean).Within(1e-6));
        Assert.That(estimate.Terms[0].StandardError, Is.EqualTo(sd / 2).Within(1e-6));
        Assert.That(estimate.Penalty.ToDouble(), Is.EqualTo(mean).Within(1e-6));
    }

    [Test]
    public void RelativeError_DividesByTheOutputNorm()
    {
        // f_in(x) = 3x, model = identity: d = 2||x||, ||f_out(model(x))|| = ||x||: relative error 2 for every sample.
        using var model = new IdentityModel();
        var tripled = new LambdaTransform("triple", x => x * 3.0);
        using var reg = new EquivarianceError(model, new long[] { 5 }, new EquivarianceTerm[] { (IdentityTransform.Instance, tripled, 0.0, 1.0) },
            n: 16, bounds: (0.5, 2.0), options: new EquivarianceErrorOptions { Seed = 3, Relative = true });
        using var scope = NewDisposeScope();
        Assert.That(reg.call().ToDouble(), Is.EqualTo(2.0).Within(1e-5));
        Assert.That(reg.LastTerms![0].StandardError, Is.EqualTo(0).Within(1e-5));
    }

    // ---- shared randomness ----------------------------------------------------------------------
    [Test]
    public void EquivariantModel_UnderRandomRotations_HasZeroError_WhileAMismatchedOutputTransformDoesNot()
    {
        using var model = new PointwiseConvModel(3, 10); // 3-channel image in, 10-channel map out
        var rot = new RotationByQuarterTurns();
        using var shared = new EquivarianceError(model, new long[] { 3, 8, 8 }, new EquivarianceTerm[] { (rot, 0.0, 1.0) }, n: 32, options: Seeded);
        using var mismatched = new EquivarianceError(model, new long[] { 3, 8, 8 },
            new EquivarianceTerm[] { (new RotationByQuarterTurns(-1, -2), rot, 0.0, 1.0) }, n: 32, options: Seeded); // C4 turning the other way
        using var scope = NewDisposeScope();
        Assert.That(shared.call().ToDouble(), Is.LessThanOrEqualTo(1e-6));
        Assert.That(mismatched.call().ToDouble(), Is.GreaterThan(0.1));
    }

    [Test]
    public void EquivariantSetModel_UnderRandomPermutations_HasZeroError_WhileUnpermutedOutputsDoNot()
    {
        using var model = new DeepSetsLayer(3, 5);
        var perm = new Permutation(6, 0);
        using var shared = new EquivarianceError(model, new long[] { 6, 3 }, new EquivarianceTerm[] { (perm, 0.0, 1.0) }, n: 32, options: Seeded);
        using var invariance = new EquivarianceError(model, new long[] { 6, 3 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(perm) }, n: 32, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(shared.call().ToDouble(), Is.LessThanOrEqualTo(1e-6));
        Assert.That(invariance.call().ToDouble(), Is.GreaterThan(0.05));
    }

    [Test]
    public void RandomTransform_DrawsItsParameterPerSample_AndSharesItBetweenInputAndOutput()
    {
        using var model = new PointwiseConvModel(2, 3);
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        var x = rand(32, 2, 6, 6);
        using var r = EquivarianceEvaluator.Evaluate(model, x, new[] { Symmetry.Equivariant(new RotationByQuarterTurns()) }, Distance.L2, g);
        Assert.That(r.InputElements[0].Values.data<long>().ToArray().Distinct().Count(), Is.EqualTo(4), "32 samples draw every quarter turn");
        Assert.That(r.Distances[0].max().ToDouble(), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void Seed_MakesEveryDrawReproducible()
    {
        using var model = new PlainCnn(1, 6, 3);
        var transforms = new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(Flip.Horizontal()), EquivarianceTerm.Invariant(new CyclicShift(6)) };
        using var a = new EquivarianceError(model, new long[] { 1, 6, 6 }, transforms, n: 8, options: Seeded);
        using var b = new EquivarianceError(model, new long[] { 1, 6, 6 }, transforms, n: 8, options: Seeded);
        using var scope = NewDisposeScope();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(a.call().ToDouble(), Is.EqualTo(b.call().ToDouble()));
            Assert.That(a.LastTerms!.Select(t => t.Index), Is.EqualTo(b.LastTerms!.Select(t => t.Index)));
        }
    }

    // ---- gradients, dtype, norm statistics -------------------------------------------------------
    [Test]
    public void Gradients_ReachEveryParameter()
    {
        using var model = new PlainCnn(1, 6, 3, withBatchNorm: true);
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 },
            new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(new CyclicShift(6)) }, dist: Distance.CrossEntropyLogits, n: 8, numFuncs: 2, options: Seeded);
        using var scope = NewDisposeScope();
        var penalty = reg.call();
        Assert.That(penalty.ToDouble(), Is.GreaterThan(0));
        penalty.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.That(p.grad, Is.Not.Null, name);
            Assert.That(p.grad!.abs().sum().ToDouble(), Is.GreaterThan(0), name);
        }
    }

    [Test]
    public void RegularizerPass_LeavesBatchNormRunningStatisticsAndModesUntouched()
    {
        using var model = new PlainCnn(1, 6, 3, withBatchNorm: true);
        var bn = model.BatchNorm;
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 16, options: Seeded);
        using var scope = NewDisposeScope();
        var before = bn.RunningMean.clone();
        reg.call().backward();
        Assert.That(bn.RunningMean.allclose(before, 0, 0), Is.True, "running_mean unchanged by the regularizer");
        Assert.That(bn.training, Is.True, "training mode restored");
        // The same forward in training mode does move it (so the check above could fail).
        model.call(rand(16, 1, 6, 6));
        Assert.That(bn.RunningMean.allclose(before, 0, 0), Is.False);
    }

    [Test]
    public void Float64Model_GetsFloat64PointsAndPenalty()
    {
        using var model = new PlainCnn(1, 6, 3);
        model.to(ScalarType.Float64);
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 4, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(reg.SamplePoints().dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(reg.call().dtype, Is.EqualTo(ScalarType.Float64));
        Assert.That(reg.call(rand(3, 1, 6, 6)).dtype, Is.EqualTo(ScalarType.Float64), "a float32 batch follows the model");
    }

    // ---- numFuncs --------------------------------------------------------------------------------
    [Test]
    public void NumFuncs_ChoosesWithoutReplacement_WithUniformFrequencies()
    {
        using var model = new IdentityModel();
        var ts = Enumerable.Range(0, 4).Select(i => (EquivarianceTerm)(IdentityTransform.Instance, AddConstant(i), 0.0, 1.0)).ToArray();
        using var reg = new EquivarianceError(model, new long[] { 2 }, ts, numFuncs: 2, options: Seeded);
        var counts = new int[4];
        const int trials = 4000;
        for (int t = 0; t < trials; t++)
        {
            var chosen = reg.ChooseTerms();
            Assert.That(chosen.Distinct().Count(), Is.EqualTo(2));
            foreach (int i in chosen) counts[i]++;
        }
        // Each term is in a pair with probability 1/2: 2000 ± 3σ (σ ≈ 32).
        foreach (int c in counts) Assert.That(c, Is.InRange(1900, 2100));
    }

    [Test]
    public void NumFuncs_FollowsSamplingWeights()
    {
        using var model = new IdentityModel();
        var ts = new[]
        {
            new EquivarianceTerm(Symmetry.Invariant(AddConstant(0))) { Weight = 3 },
            new EquivarianceTerm(Symmetry.Invariant(AddConstant(1))) { Weight = 1 },
        };
        using var reg = new EquivarianceError(model, new long[] { 2 }, ts, numFuncs: 1, options: Seeded);
        int first = Enumerable.Range(0, 4000).Count(_ => reg.ChooseTerms()[0] == 0);
        Assert.That(first, Is.InRange(2900, 3100)); // 3/4 of 4000, σ ≈ 27
    }

    [Test]
    public void NumFuncs_AtLeastTheCount_UsesEveryTerm()
    {
        using var model = new IdentityModel();
        var ts = Enumerable.Range(0, 3).Select(i => (EquivarianceTerm)(IdentityTransform.Instance, AddConstant(i), 0.0, 1.0)).ToArray();
        using var reg = new EquivarianceError(model, new long[] { 2 }, ts, numFuncs: 5, options: Seeded);
        Assert.That(reg.ChooseTerms(), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    // ---- invalid arguments -----------------------------------------------------------------------
    [Test]
    public void OutputShapeMismatch_NamesBothShapes()
    {
        // A classifier's 3 logits cannot be rotated like an image: f_out(model(v)) vs model(f_in(v)).
        using var model = new PointwiseConvModel(1, 2);
        var crop = new LambdaTransform("crop", x => x.narrow(3, 0, 3));
        using var reg = new EquivarianceError(model, new long[] { 1, 4, 4 }, new EquivarianceTerm[] { (IdentityTransform.Instance, crop, 0.0, 1.0) }, n: 2, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(() => reg.call(), Throws.ArgumentException
            .With.Message.Contains("f_out(model(v)) has shape [2, 2, 4, 4]").And.Message.Contains("model(f_in(v)) has shape [2, 2, 4, 3]"));
    }

    [TestCase(-0.1, 1.0, "ε")]
    [TestCase(0.0, -1.0, "λ")]
    [TestCase(double.NaN, 1.0, "ε")]
    public void NegativeEpsilonOrLambda_Throws(double epsilon, double lambda, string which) =>
        Assert.That(() => EquivarianceTerm.Invariant(new RotationByQuarterTurns(), epsilon, lambda),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains(which));

    [Test]
    public void BadBounds_ThrowWithTheBoundsArgument()
    {
        using var model = new IdentityModel();
        var ts = new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new RotationByQuarterTurns()) };
        Assert.That(() => new EquivarianceError(model, new long[] { 4, 4 }, ts, bounds: new double[] { 1, 0 }), Throws.ArgumentException.With.Message.Contains("lower ≤ upper"));
        Assert.That(() => new EquivarianceError(model, new long[] { 4, 4 }, ts, bounds: new double[,] { { 0, 1 }, { 0, 1 }, { 0, 1 } }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("bounds").And.Message.Contains("[4, 4, 2]"));
    }

    [Test]
    public void PBelowOne_Throws()
    {
        using var model = new IdentityModel();
        Assert.That(() => new EquivarianceError(model, new long[] { 4 }, new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new CyclicShift(4)) }, dist: Distance.Lp(0.5)),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void NaNOutputs_Throw_InEstimate_AndInCallsWhenChecked()
    {
        using var model = new ScaleModel(double.NaN);
        using var reg = new EquivarianceError(model, new long[] { 4 }, new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new CyclicShift(4)) }, n: 2, options: Seeded);
        using var checkedReg = new EquivarianceError(model, new long[] { 4 }, new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new CyclicShift(4)) }, n: 2,
            options: Seeded with { CheckEveryCall = true });
        using var scope = NewDisposeScope();
        Assert.That(() => reg.Estimate(), Throws.InvalidOperationException.With.Message.Contains("NaN"));
        Assert.That(() => checkedReg.call(), Throws.InvalidOperationException.With.Message.Contains("NaN"));
        Assert.That(reg.call().isnan().item<bool>(), Is.True, "an unchecked call returns the NaN the model made, as any loss term would");
    }

    [Test]
    public void OtherInvalidArguments_Throw()
    {
        using var model = new IdentityModel();
        var ts = new EquivarianceTerm[] { EquivarianceTerm.Equivariant(new CyclicShift(4)) };
        Assert.That(() => new EquivarianceError(model, new long[] { 4 }, ts, n: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("n"));
        Assert.That(() => new EquivarianceError(model, new long[] { 4 }, ts, numFuncs: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("numFuncs"));
        Assert.That(() => new EquivarianceError(model, new long[] { 4 }, Array.Empty<EquivarianceTerm>()), Throws.ArgumentException.With.Property("ParamName").EqualTo("transforms"));
        using var reg = new EquivarianceError(model, new long[] { 4 }, ts, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(() => reg.call(zeros(2, 5)), Throws.ArgumentException.With.Message.Contains("(batch, 4)"));
    }

    // ---- where the reference package breaks ------------------------------------------------------
    [Test]
    public void SharedTransform_WorksWhenOutputAndInputShapesDiffer()
    {
        // The reference concatenates inputs with outputs to share randomness: impossible for 3 channels in, 10 out.
        using var model = new PointwiseConvModel(3, 10);
        using var reg = new EquivarianceError(model, new long[] { 3, 5, 5 }, new EquivarianceTerm[] { (new DihedralTransform(), 0.0, 1.0) }, n: 16, options: Seeded);
        using var scope = NewDisposeScope();
        Assert.That(reg.call().ToDouble(), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void TwoTerms_EachSeeTheOriginalBatch()
    {
        // The reference keeps the concatenated batch for the next transform; here every term's error equals its
        // error when evaluated alone on the same points with the same elements.
        using var model = new PlainCnn(1, 6, 3);
        using var scope = NewDisposeScope();
        var x = rand(8, 1, 6, 6);
        var rot = new RotationByQuarterTurns();
        var flip = Flip.Horizontal();
        using var er = rot.Group.Element(1, 8);
        using var ef = flip.Group.Element(1, 8);
        var pairs = new[] { Symmetry.Invariant(rot), Symmetry.Invariant(flip) };
        using var both = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { er, ef });
        using var aloneR = EquivarianceEvaluator.Evaluate(model, x, new[] { pairs[0] }, Distance.L2, inputElements: new[] { er });
        using var aloneF = EquivarianceEvaluator.Evaluate(model, x, new[] { pairs[1] }, Distance.L2, inputElements: new[] { ef });
        Assert.That(both.Distances[0].allclose(aloneR.Distances[0], 1e-5, 1e-6), Is.True);
        Assert.That(both.Distances[1].allclose(aloneF.Distances[0], 1e-5, 1e-6), Is.True);
    }

    [Test]
    public void CallingWithABatch_DoesNotChangeNForLaterSampledCalls()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 5, options: Seeded);
        using var scope = NewDisposeScope();
        reg.call(rand(7, 1, 6, 6));
        Assert.That(reg.LastTerms![0].Samples, Is.EqualTo(7));
        reg.call();
        Assert.That(reg.LastTerms![0].Samples, Is.EqualTo(5));
        Assert.That(reg.N, Is.EqualTo(5));
    }

    [Test]
    public void BoundsAsATensor_AreAccepted()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var scope = NewDisposeScope();
        var bounds = tensor(new float[] { -1, 1 }, new long[] { 1, 1, 1, 2 });
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 64, bounds: bounds, options: Seeded);
        var points = reg.SamplePoints();
        Assert.That(points.min().ToDouble(), Is.LessThan(-0.5), "negative values come from the tensor bounds");
        Assert.That(reg.call().ToDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void ModelOutputOnOriginalPoints_IsComputedOnceForAllTerms()
    {
        using var model = new PlainCnn(1, 6, 3);
        var ts = new EquivarianceTerm[]
        {
            EquivarianceTerm.Invariant(new RotationByQuarterTurns()), EquivarianceTerm.Invariant(Flip.Horizontal()),
            EquivarianceTerm.Invariant(Flip.Vertical()), EquivarianceTerm.Invariant(new DihedralTransform()),
        };
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, ts, n: 10, numFuncs: 4, options: Seeded);
        using var scope = NewDisposeScope();
        reg.call();
        Assert.That(model.Forwards, Is.EqualTo(5), "by default one forward per part, each the size of the batch");
        Assert.That(model.RowsSeen, Is.EqualTo(50), "model(v) once plus four transformed batches");

        // With a budget that holds all five parts they share one forward (the model has no batch-normalising layer).
        using var budgeted = new EquivarianceError(model, new long[] { 1, 6, 6 }, ts, n: 10, numFuncs: 4,
            options: Seeded with { Evaluation = EvaluationOptions.Default with { MemoryBudgetBytes = 64L << 20 } });
        int beforeBudgeted = model.Forwards;
        budgeted.call();
        Assert.That(model.Forwards - beforeBudgeted, Is.EqualTo(1), "one batched forward");

        using var loop = new EquivarianceError(model, new long[] { 1, 6, 6 }, ts, n: 10, numFuncs: 4,
            options: Seeded with { Evaluation = EvaluationOptions.Default with { Batched = false } });
        int before = model.Forwards;
        loop.call();
        Assert.That(model.Forwards - before, Is.EqualTo(5), "unbatched: model(v) once, then one call per term");
    }

    [Test]
    public void MemoryBudget_SplitsTheBatchedForwardIntoChunks_WithTheSameResult()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var scope = NewDisposeScope();
        var x = rand(10, 1, 6, 6);
        var rot = new RotationByQuarterTurns();
        using var e = rot.Group.Element(1, 10);
        var pairs = new[] { Symmetry.Invariant(rot) };
        using var whole = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e });
        int before = model.Forwards;
        // 6·6·4 bytes × 64 per row; a 20 KiB budget allows 2 rows per forward: 20 rows → 10 forwards.
        using var chunked = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: new[] { e },
            options: EvaluationOptions.Default with { MemoryBudgetBytes = 20 << 10 });
        Assert.That(model.Forwards - before, Is.EqualTo(10));
        Assert.That(chunked.Distances[0].allclose(whole.Distances[0], 1e-5, 1e-6), Is.True);
    }

    [Test]
    public void MemoryBudget_ChunksHoldWholeParts_WhenAPartFits()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var scope = NewDisposeScope();
        var x = rand(10, 1, 6, 6);
        var flips = new IGroupTransform[] { new RotationByQuarterTurns(), Flip.Horizontal(), Flip.Vertical(), new DihedralTransform() };
        var pairs = flips.Select(Symmetry.Invariant).ToArray();
        var elements = flips.Select(f => ((IFiniteTransform)f).Group.Element(1, 10)).ToArray();
        using var whole = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: elements);
        int before = model.Forwards;
        // 144 input bytes × 64 = 9 KiB per row; a budget of 25 rows holds two parts of 10: 5 parts → 3 forwards.
        using var chunked = EquivarianceEvaluator.Evaluate(model, x, pairs, Distance.L2, inputElements: elements,
            options: EvaluationOptions.Default with { MemoryBudgetBytes = 25 * 144 * 64 });
        Assert.That(model.Forwards - before, Is.EqualTo(3));
        for (int k = 0; k < 4; k++) Assert.That(chunked.Distances[k].allclose(whole.Distances[k], 1e-5, 1e-6), Is.True);
        foreach (var e in elements) e.Dispose();
    }

    [Test]
    public void StepRegularizerOnly_BackpropagatesOnlyThePenalty()
    {
        using var model = new PlainCnn(1, 6, 3);
        using var reg = new EquivarianceError(model, new long[] { 1, 6, 6 }, new EquivarianceTerm[] { EquivarianceTerm.Invariant(new RotationByQuarterTurns()) }, n: 8, options: Seeded);
        using var scope = NewDisposeScope();
        var w = model.named_parameters().First().parameter;
        var before = w.detach().clone();
        double value = reg.StepRegularizerOnly(() => model.zero_grad(), () =>
        {
            using var ng = no_grad();
            foreach (var p in model.parameters()) p.sub_(p.grad! * 0.1);
        });
        Assert.That(value, Is.GreaterThan(0));
        Assert.That(w.allclose(before), Is.False, "the step moved the weights along the penalty's gradient");
    }
}
