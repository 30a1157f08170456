using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Torch.Native;

/// <summary>An argument of a boxed ATen call. Converted natively according to the operator's schema.</summary>
internal readonly struct A
{
    internal const int KNone = 0, KDefault = 1, KInt = 2, KDouble = 3, KBool = 4, KTensor = 5, KIntList = 6,
        KDoubleList = 7, KTensorList = 8, KString = 9, KGenerator = 10, KScalarType = 11;

    internal readonly int Kind;
    internal readonly long I;
    internal readonly double D;
    internal readonly object? Ref;

    private A(int kind, long i = 0, double d = 0, object? reference = null)
    {
        Kind = kind;
        I = i;
        D = d;
        Ref = reference;
    }

    internal static readonly A None = new(KNone);
    internal static readonly A Default = new(KDefault);

    public static implicit operator A(long v) => new(KInt, i: v);
    public static implicit operator A(int v) => new(KInt, i: v);
    public static implicit operator A(double v) => new(KDouble, d: v);
    public static implicit operator A(bool v) => new(KBool, i: v ? 1 : 0);
    public static implicit operator A(Tensor? t) => t is null ? None : new(KTensor, reference: t);
    public static implicit operator A(long[]? v) => v is null ? None : new(KIntList, reference: v);
    public static implicit operator A(double[]? v) => v is null ? None : new(KDoubleList, reference: v);
    public static implicit operator A(Tensor?[]? v) => v is null ? None : new(KTensorList, reference: v);
    public static implicit operator A(string? v) => v is null ? None : new(KString, reference: v);
    public static implicit operator A(Generator? g) => g is null ? None : new(KGenerator, reference: g);
    public static implicit operator A(ScalarType v) => new(KScalarType, i: (long)v);

    internal static A Dtype(ScalarType? v) => v is { } s ? s : None;
    internal static A Opt(long? v) => v is { } x ? x : None;
    internal static A Opt(double? v) => v is { } x ? x : None;
}

/// <summary>Calls any ATen operator by its schema name through the dispatcher (src/native/dispatch.cpp).</summary>
internal static unsafe class Ops
{
    private static readonly ConcurrentDictionary<string, IntPtr> s_ops = new(StringComparer.Ordinal);

    private static IntPtr Find(string qualified)
    {
        return s_ops.GetOrAdd(qualified, static q =>
        {
            int dot = q.IndexOf('.', StringComparison.Ordinal);
            string name = dot < 0 ? q : q[..dot];
            string overload = dot < 0 ? string.Empty : q[(dot + 1)..];
            NativeMethods.Check(NativeMethods.ert_op_find(name.Contains("::", StringComparison.Ordinal) ? name : "aten::" + name, overload, out IntPtr op));
            return op;
        });
    }

    /// <summary>The schema text of an operator (for error messages and debugging).</summary>
    internal static string Schema(string qualified)
    {
        NativeMethods.Check(NativeMethods.ert_op_schema(Find(qualified), out IntPtr text));
        return NativeMethods.TakeString(text);
    }

    /// <summary>Calls an operator that returns one tensor.</summary>
    internal static Tensor Call(string op, params ReadOnlySpan<A> args)
    {
        IntPtr* outs = stackalloc IntPtr[1];
        int n = Invoke(op, args, outs, 1, out _);
        if (n != 1) throw new TorchException($"{op} returned {n} tensors, expected 1.");
        return Tensor.FromHandle(outs[0]);
    }

    /// <summary>Calls an operator that returns several tensors (a tuple or a list).</summary>
    internal static Tensor[] CallMany(string op, params ReadOnlySpan<A> args)
    {
        const int cap = 256;
        IntPtr* outs = stackalloc IntPtr[cap];
        int n = Invoke(op, args, outs, cap, out _);
        var result = new Tensor[n];
        for (int i = 0; i < n; i++) result[i] = Tensor.FromHandle(outs[i]);
        return result;
    }

    /// <summary>Like <see cref="CallMany"/>, but an undefined result tensor (e.g. a missing tangent) becomes null.</summary>
    internal static Tensor?[] CallManyOptional(string op, params ReadOnlySpan<A> args)
    {
        const int cap = 256;
        IntPtr* outs = stackalloc IntPtr[cap];
        int n = Invoke(op, args, outs, cap, out _);
        var result = new Tensor?[n];
        for (int i = 0; i < n; i++) result[i] = Tensor.FromHandleOrNull(outs[i]);
        return result;
    }

    /// <summary>Calls an operator that returns a scalar (int, float or bool).</summary>
    internal static double CallScalar(string op, params ReadOnlySpan<A> args)
    {
        IntPtr* outs = stackalloc IntPtr[4];
        int n = Invoke(op, args, outs, 4, out double scalar);
        for (int i = 0; i < n; i++) NativeMethods.ert_free(outs[i]);
        return scalar;
    }

    /// <summary>Calls an in-place operator and releases the alias it returns.</summary>
    internal static void CallInPlace(string op, params ReadOnlySpan<A> args)
    {
        IntPtr* outs = stackalloc IntPtr[4];
        int n = Invoke(op, args, outs, 4, out _);
        for (int i = 0; i < n; i++) NativeMethods.ert_free(outs[i]);
    }

    private static int Invoke(string op, ReadOnlySpan<A> args, IntPtr* outs, int cap, out double scalar)
    {
        IntPtr handle = Find(op);
        NativeArg* native = stackalloc NativeArg[args.Length];
        List<GCHandle>? pins = null;
        List<IntPtr>? strings = null;
        try
        {
            for (int k = 0; k < args.Length; k++)
            {
                ref readonly A a = ref args[k];
                ref NativeArg n = ref native[k];
                n.Kind = a.Kind;
                n.I = a.I;
                n.D = a.D;
                switch (a.Kind)
                {
                    case A.KTensor:
                        n.P = ((Tensor)a.Ref!).Handle;
                        break;
                    case A.KGenerator:
                        n.P = ((Generator)a.Ref!).Handle;
                        break;
                    case A.KIntList:
                    case A.KDoubleList:
                        {
                            var arr = (Array)a.Ref!;
                            var pin = GCHandle.Alloc(arr, GCHandleType.Pinned);
                            (pins ??= new()).Add(pin);
                            n.P = pin.AddrOfPinnedObject();
                            n.Length = arr.Length;
                            break;
                        }
                    case A.KTensorList:
                        {
                            var ts = (Tensor?[])a.Ref!;
                            var hs = new IntPtr[ts.Length];
                            for (int j = 0; j < ts.Length; j++) hs[j] = ts[j]?.Handle ?? IntPtr.Zero;
                            var pin = GCHandle.Alloc(hs, GCHandleType.Pinned);
                            (pins ??= new()).Add(pin);
                            n.P = pin.AddrOfPinnedObject();
                            n.Length = hs.Length;
                            break;
                        }
                    case A.KString:
                        {
                            var p = Marshal.StringToCoTaskMemUTF8((string)a.Ref!);
                            (strings ??= new()).Add(p);
                            n.P = p;
                            break;
                        }
                }
            }
            int count;
            try
            {
                NativeMethods.Check(NativeMethods.ert_op_call(handle, native, args.Length, outs, cap, out count, out scalar));
            }
            catch (TorchException e) when (e.Message.Contains("' is required but was null", StringComparison.Ordinal))
            {
                // The bridge's message for a null reference where the schema needs a value: "aten::op: argument 'name' is required but was null".
                int start = e.Message.IndexOf("argument '", StringComparison.Ordinal) + 10;
                throw new ArgumentNullException(e.Message[start..e.Message.IndexOf('\'', start)], e.Message);
            }
            foreach (ref readonly A a in args) GC.KeepAlive(a.Ref);
            return count;
        }
        finally
        {
            if (pins is not null) foreach (var p in pins) p.Free();
            if (strings is not null) foreach (var s in strings) Marshal.FreeCoTaskMem(s);
        }
    }
}
