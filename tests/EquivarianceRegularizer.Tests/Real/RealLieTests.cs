using EquivarianceRegularizer.Lie;
using EquivarianceRegularizer.Transforms;
using TorchSharp;
using static EquivarianceRegularizer.Tests.Real.RealFixtures;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Real;

/// <summary>End-to-end Lie derivatives of torchvision's own architectures against an independent reference.</summary>
public class RealLieTests
{
    private static IEnumerable<string> Models() => All().Where(m => m != "zero_output_scripted");

    // The fixture's input, cropped to at most 16×16 where the model takes any size (the ViT checks its image size).
    private static Tensor SmallInput(string model)
    {
        var x = Input(model).narrow(0, 0, 1);
        return model.StartsWith("vit", StringComparison.Ordinal) ? x : x.narrow(2, 0, Math.Min(16, x.size(2))).narrow(3, 0, Math.Min(16, x.size(3)));
    }

    [TestCaseSource(nameof(Models))]
    public void ForwardModeLieDerivative_IsNonZero_AndEqualsAFloat64CentralDifference(string model)
    {
        using var scope = NewDisposeScope();
        using var module = jit.load<Tensor, Tensor>(RealArchive(model));
        module.eval();
        module.to(ScalarType.Float64);
        var x = SmallInput(model).to(ScalarType.Float64);
        foreach (var t in new IContinuousTransform[] { new TranslationX(), new Rotation() })
        {
            var lee = LocalEquivarianceError.Measure(module.call, x, t);
            // A scripted nn.MultiheadAttention runs libtorch's fused kernel (_native_multi_head_attention) when no gradient
            // is recorded, and that kernel has no forward-mode derivative: the LEE falls back to double backward and says so.
            bool fusedAttention = model is "vit_scripted" or "attention_qkv_scripted";
            Assert.That(lee.Method, Is.EqualTo(fusedAttention ? LieDerivativeMethod.DoubleBackward : LieDerivativeMethod.ForwardMode), $"{model} {t.Name}: the method that ran");
            var exact = LieDerivative.Compute(module.call, x, t);
            // The central difference runs the model itself (no autograd of any kind): an independent reference. A step of
            // 1e-6 keeps ReLU and max-pool kinks out of reach on these inputs. mobilenet_v2's logits are about 1e-9 at random
            // init, cancelled out of activations near 1, so float64 rounding limits its reference: measured relative errors
            // 0.77, 1.0e-2, 7.8e-4, 0.18 at steps 1e-8, 1e-6, 1e-4, 1e-3 (kinks reached at 1e-3).
            bool tiny = model.StartsWith("mobilenet_v2", StringComparison.Ordinal);
            var reference = LieDerivative.Compute(module.call, x, t, new LieOptions { Method = LieDerivativeMethod.FiniteDifference, FiniteDifferenceStep = tiny ? 1e-4 : 1e-6 });
            double norm = reference.norm().ToDouble();
            Assert.That(norm, Is.GreaterThan(0), $"{model} {t.Name}: the reference Lie derivative is not zero");
            Assert.That(lee.Value, Is.GreaterThan(0), $"{model} {t.Name}: LEE");
            Assert.That((exact - reference).norm().ToDouble() / norm, Is.LessThan(tiny ? 2e-3 : 1e-4), $"{model} {t.Name}: forward mode vs central difference");
        }
    }
}
