using System.Collections;
using System.Reflection;
using TorchSharp.Modules;

namespace EquivarianceRegularizer.Audit;

/// <summary>
/// Runs a user's TorchSharp module in another dtype without touching the user's Parameter and buffer objects, and puts
/// those very objects back on dispose.
/// </summary>
/// <remarks>
/// TorchSharp's <c>Module.to(dtype)</c> replaces every Parameter of a managed module with a new object and disposes the
/// old one, so an optimizer built on <c>parameters()</c> before the call throws <c>KeyNotFoundException</c> at its next
/// <c>step()</c> (TorchSharp 0.107, SGD and Adam alike). Here each module's own parameters and floating-point buffers are
/// swapped for converted copies where the module keeps them (its registration tables and any field or list that holds
/// them), the originals are set aside untouched, and <see cref="Dispose"/> swaps them back and frees the copies. Modules
/// whose weights live in libtorch (TorchSharp's recurrent, transformer, attention and embedding modules) and TorchScript
/// modules convert natively in place, keeping their Parameter objects: those are converted with <c>to</c> and back.
/// </remarks>
internal sealed class ModuleDtypeConversion : IDisposable
{
    private static readonly FieldInfo ParamsField = typeof(nn.Module).GetField("_internal_params", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException("TorchSharp's nn.Module has no _internal_params field; this TorchSharp version is not supported.");
    private static readonly FieldInfo BuffersField = typeof(nn.Module).GetField("_internal_buffers", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new MissingFieldException("TorchSharp's nn.Module has no _internal_buffers field; this TorchSharp version is not supported.");

    /// <summary>TorchSharp module types whose weights are held by a native libtorch module.</summary>
    private static readonly HashSet<string> NativeModuleTypes = new(StringComparer.Ordinal)
    {
        "Embedding", "EmbeddingBag", "MultiheadAttention", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNCell",
        "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    };

    private readonly List<(nn.Module Owner, string Name, Tensor Original, Tensor Converted, bool IsParameter)> _swaps = new();
    private readonly List<(nn.Module Module, ScalarType DType)> _native = new();
    private bool _disposed;

    private ModuleDtypeConversion() { }

    /// <summary>Converts <paramref name="root"/>'s floating-point parameters and buffers to <paramref name="dtype"/>.</summary>
    public static ModuleDtypeConversion Convert(nn.Module root, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(root);
        var conversion = new ModuleDtypeConversion();
        try
        {
            conversion.ConvertTree(root, dtype);
        }
        catch
        {
            conversion.Dispose();
            throw;
        }
        return conversion;
    }

    private void ConvertTree(nn.Module module, ScalarType dtype)
    {
        if (IsNative(module))
        {
            var before = module.parameters().Concat(module.buffers()).Select(t => t.dtype).FirstOrDefault(d => d.IsFloatingPoint(), dtype);
            if (before == dtype) return;
            _native.Add((module, before));
            module.to(dtype);
            return;
        }
        var ownParameters = module.named_parameters(recurse: false).ToList();
        var ownBuffers = module.named_buffers(recurse: false).ToList();
        using (no_grad())
        {
            foreach (var (name, p) in ownParameters)
            {
                if (!p.dtype.IsFloatingPoint() || p.dtype == dtype) continue;
                using var detached = p.detach(); // an intermediate handle, released here (no dispose scope is assumed)
                var converted = new Parameter(detached.to(dtype, copy: true), p.requires_grad);
                converted.DetachFromDisposeScope();
                Swap(module, name, p, converted, isParameter: true);
                _swaps.Add((module, name, p, converted, true));
            }
            foreach (var (name, b) in ownBuffers)
            {
                if (!b.dtype.IsFloatingPoint() || b.dtype == dtype) continue;
                using var detached = b.detach();
                var converted = detached.to(dtype, copy: true).DetachFromDisposeScope();
                Swap(module, name, b, converted, isParameter: false);
                _swaps.Add((module, name, b, converted, false));
            }
        }
        foreach (var (_, child) in module.named_children()) ConvertTree(child, dtype);
    }

    private static bool IsNative(nn.Module module) =>
        module is jit.ScriptModule
        || (module.GetType().Assembly == typeof(nn.Module).Assembly && NativeModuleTypes.Contains(module.GetType().Name));

    /// <summary>Makes <paramref name="owner"/> hold <paramref name="to"/> wherever it holds <paramref name="from"/>.</summary>
    private static void Swap(nn.Module owner, string name, Tensor from, Tensor to, bool isParameter)
    {
        if (isParameter)
        {
            var table = (TorchSharp.Utils.OrderedDict<string, Parameter>)ParamsField.GetValue(owner)!;
            if (table.ContainsKey(name)) table[name] = (Parameter)to;
        }
        else
        {
            var table = (TorchSharp.Utils.OrderedDict<string, (Tensor, bool)>)BuffersField.GetValue(owner)!;
            if (table.TryGetValue(name, out var entry)) table[name] = (to, entry.Item2);
        }
        for (var type = owner.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                if (field == ParamsField || field == BuffersField || field.FieldType.IsValueType) continue;
                object? value = field.GetValue(owner);
                if (ReferenceEquals(value, from) && field.FieldType.IsInstanceOfType(to))
                {
                    field.SetValue(owner, to);
                }
                else if (value is IList { IsReadOnly: false } list)
                {
                    for (int i = 0; i < list.Count; i++)
                        if (ReferenceEquals(list[i], from)) list[i] = to;
                }
            }
        }
    }

    /// <summary>Puts the original objects back (values as they were when converted) and frees the converted copies.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int i = _swaps.Count - 1; i >= 0; i--)
        {
            var (owner, name, original, converted, isParameter) = _swaps[i];
            Swap(owner, name, converted, original, isParameter);
            converted.Dispose();
        }
        _swaps.Clear();
        foreach (var (module, dtype) in _native) module.to(dtype);
        _native.Clear();
    }
}
