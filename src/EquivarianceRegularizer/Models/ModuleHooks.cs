using System.Reflection;

namespace EquivarianceRegularizer.Models;

/// <summary>
/// Forward hooks on TorchSharp modules as disposables. TorchSharp's <c>register_forward_hook</c> returns a
/// <c>HookRemover</c> (not IDisposable) and exists per forward signature; hooks fire only for modules invoked with
/// <c>call</c>.
/// </summary>
internal static class ModuleHooks
{
    /// <summary>
    /// Calls <paramref name="observer"/> after every <c>call</c> of <paramref name="module"/>: with its input and output
    /// for a Tensor→Tensor module; with nulls for modules of other forward signatures (it still says that the module ran).
    /// A non-null return value replaces a Tensor→Tensor module's output. Returns null when the module cannot be hooked
    /// at all (not a hookable TorchSharp module).
    /// </summary>
    public static IDisposable? Observe(nn.Module module, Func<nn.Module, Tensor?, Tensor?, Tensor?> observer)
    {
        if (module is nn.Module<Tensor, Tensor> typed)
        {
            var remover = typed.register_forward_hook((m, input, output) => observer(m, input, output)!);
            return new Remover(remover.remove);
        }
        // Other signatures (e.g. MultiheadAttention): HookableModule<,>.register_forward_hook(Action<Module>).
        var method = module.GetType().GetMethod("register_forward_hook", BindingFlags.Public | BindingFlags.Instance, new[] { typeof(Action<nn.Module>) });
        if (method is null) return null;
        var handle = method.Invoke(module, new object[] { new Action<nn.Module>(m => observer(m, null, null)) });
        var remove = handle?.GetType().GetMethod("remove", Type.EmptyTypes);
        return remove is null ? null : new Remover(() => remove.Invoke(handle, null));
    }

    private sealed class Remover(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose()
        {
            _remove?.Invoke();
            _remove = null;
        }
    }
}
