using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Torch.Native;

/// <summary>One argument of a boxed operator call; layout matches <c>Arg</c> in src/native/dispatch.cpp.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NativeArg
{
    public int Kind;
    public int Length;
    public long I;
    public double D;
    public IntPtr P;
}

/// <summary>P/Invoke declarations of the native bridge (libertorch.so). Every call returns 0 or 1 (error).</summary>
internal static unsafe partial class NativeMethods
{
    private const string Lib = "ertorch";

    [LibraryImport(Lib)] internal static partial IntPtr ert_last_error();
    [LibraryImport(Lib)] internal static partial void ert_clear_error();
    [LibraryImport(Lib)] internal static partial long ert_live_tensors();
    [LibraryImport(Lib)] internal static partial void ert_free(IntPtr handle);
    [LibraryImport(Lib)] internal static partial void ert_free_string(IntPtr s);

    [LibraryImport(Lib)] internal static partial int ert_from_buffer(void* data, long* shape, int ndim, int dtype, int requiresGrad, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_copy_to_buffer(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int ert_shape(IntPtr t, long* buffer, int capacity, out int ndim);
    [LibraryImport(Lib)] internal static partial int ert_meta(IntPtr t, out int dtype, out int device, out int requiresGrad, out int isLeaf, out long numel);
    [LibraryImport(Lib)] internal static partial int ert_item(IntPtr t, out double value);
    [LibraryImport(Lib)] internal static partial int ert_to_string(IntPtr t, out IntPtr text);
    [LibraryImport(Lib)] internal static partial int ert_set_requires_grad(IntPtr t, int value);
    [LibraryImport(Lib)] internal static partial int ert_grad(IntPtr t, out IntPtr grad);
    [LibraryImport(Lib)] internal static partial int ert_zero_grad(IntPtr t, int setToNone);
    [LibraryImport(Lib)] internal static partial int ert_backward(IntPtr t, IntPtr gradient, int retainGraph, int createGraph);
    [LibraryImport(Lib)] internal static partial int ert_autograd_grad(IntPtr* outputs, int nOut, IntPtr* inputs, int nIn, IntPtr* gradOutputs, int retainGraph, int createGraph, int allowUnused, IntPtr* results);
    [LibraryImport(Lib)] internal static partial int ert_is_grad_enabled();
    [LibraryImport(Lib)] internal static partial void ert_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int ert_enter_dual_level(out long level);
    [LibraryImport(Lib)] internal static partial int ert_exit_dual_level(long level);
    [LibraryImport(Lib)] internal static partial int ert_generator_new(ulong seed, out IntPtr generator);
    [LibraryImport(Lib)] internal static partial void ert_generator_free(IntPtr generator);
    [LibraryImport(Lib)] internal static partial int ert_generator_set_seed(IntPtr generator, ulong seed);
    [LibraryImport(Lib)] internal static partial int ert_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial int ert_get_num_threads();
    [LibraryImport(Lib)] internal static partial void ert_set_num_threads(int n);

    [LibraryImport(Lib)] internal static partial int ert_add(IntPtr a, IntPtr b, double alpha, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_sub(IntPtr a, IntPtr b, double alpha, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_mul(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_div(IntPtr a, IntPtr b, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_add_scalar(IntPtr a, double s, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_mul_scalar(IntPtr a, double s, out IntPtr result);
    [LibraryImport(Lib)] internal static partial int ert_bench_add_loop(IntPtr a, IntPtr b, long iterations);
    [LibraryImport(Lib)] internal static partial int ert_bench_conv2d_loop(IntPtr x, IntPtr w, IntPtr b, long iterations);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial int ert_op_find(string name, string overload, out IntPtr op);
    [LibraryImport(Lib)] internal static partial int ert_op_schema(IntPtr op, out IntPtr text);
    [LibraryImport(Lib)] internal static partial int ert_op_call(IntPtr op, NativeArg* args, int nArgs, IntPtr* outs, int capacity, out int nOut, out double scalar);

    /// <summary>Throws a <see cref="TorchException"/> carrying libtorch's message when <paramref name="status"/> is non-zero.</summary>
    internal static void Check(int status)
    {
        if (status != 0) ThrowLastError();
    }

    internal static void ThrowLastError()
    {
        var message = Marshal.PtrToStringUTF8(ert_last_error()) ?? "native error";
        ert_clear_error();
        throw new TorchException(message);
    }

    internal static string TakeString(IntPtr text)
    {
        try { return Marshal.PtrToStringUTF8(text) ?? string.Empty; }
        finally { ert_free_string(text); }
    }
}
