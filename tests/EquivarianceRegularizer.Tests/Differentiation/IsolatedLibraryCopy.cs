using System.Reflection;
using System.Runtime.Loader;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>
/// A second, collectible copy of the assembly holding <see cref="EquivarianceRegularizer.Differentiation.Jvp"/>,
/// with fresh static state (so its forward-mode detection runs again), sharing every other assembly (TorchSharp
/// included, so tensors pass between the copies) with the default context.
/// </summary>
internal sealed class IsolatedLibraryCopy : AssemblyLoadContext
{
    private IsolatedLibraryCopy() : base("jvp-isolated", isCollectible: true) { }

    /// <summary>Loads the copy and returns its Jvp type.</summary>
    public static (IsolatedLibraryCopy Context, Type Jvp) Load()
    {
        var original = typeof(EquivarianceRegularizer.Differentiation.Jvp);
        var context = new IsolatedLibraryCopy();
        var assembly = context.LoadFromAssemblyPath(original.Assembly.Location);
        return (context, assembly.GetType(original.FullName!, throwOnError: true)!);
    }

    // Null defers to the default context: only the assembly loaded by path is duplicated.
    protected override Assembly? Load(AssemblyName assemblyName) => null;
}
