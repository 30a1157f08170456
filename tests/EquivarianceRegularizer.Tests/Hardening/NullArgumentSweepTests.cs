using EquivarianceRegularizer.Groups;
using System.Reflection;
using EquivarianceRegularizer.TestSupport;
using EquivarianceRegularizer.Audit;
using EquivarianceRegularizer.Distances;
using EquivarianceRegularizer.Evaluation;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Hardening;

/// <summary>
/// A sweep over the library's public constructors and static methods: passing null for any parameter not declared
/// nullable gives an <see cref="ArgumentException"/> (normally <see cref="ArgumentNullException"/>), never a
/// NullReferenceException or a native error.
/// </summary>
public class NullArgumentSweepTests
{
    // A valid stand-in for each parameter type the sweep knows; members with other parameter types are skipped.
    private static object? StandIn(Type t, List<IDisposable> owned)
    {
        T Own<T>(T value) where T : IDisposable { owned.Add(value); return value; }
        if (t == typeof(string)) return "rot90";
        if (t == typeof(Tensor)) return Own(rand(2, 1, 4, 4));
        if (t == typeof(long[])) return new long[] { 1, 4, 4 };
        if (t == typeof(double[])) return new double[] { 0, 1 };
        if (t == typeof(int[])) return new[] { 0, 1 };
        if (t == typeof(IGroupTransform)) return new RotationByQuarterTurns();
        if (t == typeof(IContinuousTransform)) return TransformCatalogue.CreateContinuous("rotate");
        if (t == typeof(Distance)) return Distance.L2;
        if (t == typeof(Generator)) return Own(new Generator(1));
        if (t == typeof(Func<Tensor, Tensor>)) return (Func<Tensor, Tensor>)(x => x * 1.0);
        if (t == typeof(nn.Module<Tensor, Tensor>) || t == typeof(nn.Module)) return Own(new IdentityModel());
        if (t == typeof(Symmetry)) return Symmetry.Invariant(new RotationByQuarterTurns());
        if (t == typeof(AuditOptions)) return new AuditOptions { InputShape = new long[] { 1, 4, 4 }, Samples = 2 };
        if (t == typeof(IEnumerable<EquivarianceTerm>) || t == typeof(EquivarianceTerm[])) return new[] { EquivarianceTerm.Equivariant(new RotationByQuarterTurns()) };
        if (t == typeof(EquivarianceTerm)) return EquivarianceTerm.Equivariant(new RotationByQuarterTurns());
        if (t == typeof(IReadOnlyList<Symmetry>) || t == typeof(Symmetry[])) return new[] { Symmetry.Equivariant(new RotationByQuarterTurns()) };
        if (t == typeof(IGroupTransform[])) return new IGroupTransform[] { new RotationByQuarterTurns() };
        if (t.IsValueType) return Activator.CreateInstance(t);
        return DBNull.Value; // unknown
    }

    // Records the library creates as results (reports, estimates, captures): outputs, not entry points.
    private static readonly HashSet<string> ResultRecords = new()
    {
        "TermEstimate", "Diagnosis", "InterpolationBaseline", "ModuleCall", "LayerInfo", "SpatialErrorMap",
    };

    private static IEnumerable<MethodBase> Members()
    {
        var assembly = typeof(EquivarianceError).Assembly;
        foreach (var type in assembly.GetExportedTypes().Where(t => !t.IsGenericTypeDefinition && !ResultRecords.Contains(t.Name)))
        {
            if (!type.IsAbstract)
                foreach (var c in type.GetConstructors()) yield return c;
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
                if (!m.IsSpecialName && !m.IsGenericMethodDefinition) yield return m;
        }
    }

    [Test]
    public void NullForANonNullableParameter_ThrowsArgumentException_Everywhere()
    {
        var (checkedCalls, failures) = NullArgumentSweep.Run(Members(), StandIn);
        TestContext.Out.WriteLine($"{checkedCalls} (member, null parameter) calls checked");
        Assert.That(checkedCalls, Is.GreaterThan(50), "the sweep must actually reach the API");
        foreach (var f in failures) TestContext.Out.WriteLine(f);
        Assert.That(failures, Is.Empty);
    }

}
