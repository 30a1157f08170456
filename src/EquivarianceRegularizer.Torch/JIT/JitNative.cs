using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Torch.Native;

/// <summary>P/Invoke declarations of the TorchScript exports (src/native/jit.cpp). Every call returns 0 or 1 (error).</summary>
internal static unsafe partial class JitNative
{
    private const string Lib = "ertorch";

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int ert_jit_load(string path, out IntPtr module);
    [LibraryImport(Lib)] internal static partial void ert_jit_free(IntPtr module);
    [LibraryImport(Lib)] internal static partial void ert_jit_free_array(IntPtr* array);
    [LibraryImport(Lib)] internal static partial int ert_jit_type_name(IntPtr module, int qualified, out IntPtr name);
    [LibraryImport(Lib)] internal static partial int ert_jit_named_members(IntPtr module, int kind, out IntPtr names, out IntPtr* handles, out int count);
    [LibraryImport(Lib)] internal static partial int ert_jit_is_training(IntPtr module, out int training);
    [LibraryImport(Lib)] internal static partial int ert_jit_set_training(IntPtr module, int mode);
    [LibraryImport(Lib)] internal static partial int ert_jit_convert_own(IntPtr module, int dtype);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int ert_jit_has_method(IntPtr module, string name, out int exists);
    [LibraryImport(Lib)] internal static partial int ert_jit_forward(IntPtr module, IntPtr* inputs, int nInputs, int optimize, out IntPtr* outputs, out int nOutputs, out int isTensor);
    [LibraryImport(Lib)] internal static partial int ert_jit_forward_with_taps(IntPtr module, IntPtr* inputs, int nInputs, int optimize, out IntPtr* outputs, out int nOutputs, out IntPtr meta);

    /// <summary>Wraps a native array of tensor handles into tensors (joining the current dispose scope) and frees the array.</summary>
    internal static Tensor[] TakeTensors(IntPtr* handles, int count)
    {
        try
        {
            var result = new Tensor[count];
            bool undefined = false;
            for (int i = 0; i < count; i++)
            {
                if (handles[i] == IntPtr.Zero) undefined = true;
                else result[i] = Tensor.FromHandle(handles[i]);
            }
            if (undefined)
            {
                foreach (var t in result) t?.Dispose();
                throw new InvalidOperationException("The TorchScript module returned an undefined tensor.");
            }
            return result;
        }
        finally
        {
            ert_jit_free_array(handles);
        }
    }
}
