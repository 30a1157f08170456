using System.Reflection;
using EquivarianceRegularizer.TestSupport;
using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.Hardening;

/// <summary>
/// A sweep over the binding's public constructors and static methods (torch.*, nn, functional, optim, jit):
/// passing null for any parameter not declared nullable gives an <see cref="ArgumentException"/>, never a
/// NullReferenceException, an access violation or a native error.
/// </summary>
public class NullArgumentSweepTests
{
    private static object? StandIn(Type t, List<IDisposable> owned)
    {
        T Own<T>(T value) where T : IDisposable { owned.Add(value); return value; }
        if (t == typeof(string)) return "mean";
        if (t == typeof(Tensor)) return Own(rand(2, 3));
        if (t == typeof(Tensor[]) || t == typeof(IEnumerable<Tensor>) || t == typeof(IList<Tensor>) || t == typeof(IReadOnlyList<Tensor>))
            return new[] { Own(rand(2, 3).requires_grad_()) };
        if (t == typeof(long[])) return new long[] { 2, 3 };
        if (t == typeof(double[])) return new double[] { 1, 2 };
        if (t == typeof(float[])) return new float[] { 1, 2 };
        if (t == typeof(int[])) return new[] { 1, 2 };
        if (t == typeof(Generator)) return Own(new Generator(1));
        if (t == typeof(Func<Tensor, Tensor>)) return (Func<Tensor, Tensor>)(x => x * 1.0);
        if (t.IsValueType) return Activator.CreateInstance(t);
        return DBNull.Value;
    }

    private static IEnumerable<MethodBase> Members()
    {
        var assembly = typeof(Tensor).Assembly;
        // Exception types take null messages by .NET convention.
        foreach (var type in assembly.GetExportedTypes().Where(t => !t.IsGenericTypeDefinition && !typeof(Exception).IsAssignableFrom(t)))
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
        foreach (var f in failures) TestContext.Out.WriteLine(f);
        Assert.That(checkedCalls, Is.GreaterThan(50), "the sweep must actually reach the API");
        Assert.That(failures, Is.Empty);
    }

}
