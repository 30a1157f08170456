using System.Reflection;
using TorchSharp;

namespace EquivarianceRegularizer.TestSupport;

/// <summary>
/// Calls each member once per parameter not declared nullable, with null there and a valid stand-in everywhere else,
/// and records every call that did not throw an <see cref="ArgumentException"/>. Shared by the binding's and the
/// library's null-argument sweeps (linked into both test projects).
/// </summary>
internal static class NullArgumentSweep
{
    private static readonly NullabilityInfoContext Nullability = new();

    /// <summary>
    /// Runs the sweep. <paramref name="standIn"/> returns a valid value of a type (registering disposables in the list),
    /// or <see cref="DBNull.Value"/> when it knows none: such members are skipped.
    /// </summary>
    public static (int checkedCalls, List<string> failures) Run(IEnumerable<MethodBase> members, Func<Type, List<IDisposable>, object?> standIn)
    {
        var failures = new List<string>();
        int checkedCalls = 0;
        foreach (var member in members)
        {
            var parameters = member.GetParameters();
            for (int k = 0; k < parameters.Length; k++)
            {
                var p = parameters[k];
                if (p.ParameterType.IsValueType || p.ParameterType.IsByRef) continue;
                if (Nullability.Create(p).WriteState != NullabilityState.NotNull) continue;
                var owned = new List<IDisposable>();
                try
                {
                    var args = new object?[parameters.Length];
                    bool known = true;
                    for (int i = 0; i < parameters.Length && known; i++)
                    {
                        if (i == k) continue;
                        var value = parameters[i].HasDefaultValue && parameters[i].ParameterType != typeof(string)
                            ? parameters[i].DefaultValue
                            : standIn(parameters[i].ParameterType, owned);
                        if (value is DBNull) known = false;
                        args[i] = value is Missing ? null : value;
                    }
                    if (!known) continue;
                    checkedCalls++;
                    try
                    {
                        using var scope = torch.NewDisposeScope();
                        var result = member is ConstructorInfo c ? c.Invoke(args) : member.Invoke(null, args);
                        if (result is IDisposable d) d.Dispose();
                        failures.Add($"{Describe(member)}: null {p.Name} was accepted");
                    }
                    catch (TargetInvocationException e) when (e.InnerException is ArgumentException) { }
                    catch (TargetInvocationException e)
                    {
                        failures.Add($"{Describe(member)}: null {p.Name} gave {e.InnerException?.GetType().Name}: {e.InnerException?.Message}");
                    }
                }
                finally
                {
                    foreach (var d in owned) d.Dispose();
                }
            }
        }
        return (checkedCalls, failures);
    }

    /// <summary>Type, member and parameter types, for failure messages.</summary>
    public static string Describe(MethodBase m) =>
        $"{m.DeclaringType!.FullName}.{(m is ConstructorInfo ? "ctor" : m.Name)}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";
}
