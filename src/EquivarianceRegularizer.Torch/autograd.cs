using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    /// <summary>Reverse- and forward-mode automatic differentiation.</summary>
    public static class autograd
    {
        /// <summary>
        /// Gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, like torch.autograd.grad.
        /// With <paramref name="create_graph"/> the result is itself differentiable (double backward).
        /// Unused inputs give null when <paramref name="allow_unused"/>, else an error.
        /// </summary>
        public static unsafe Tensor?[] grad(IList<Tensor> outputs, IList<Tensor> inputs, IList<Tensor?>? grad_outputs = null,
            bool? retain_graph = null, bool create_graph = false, bool allow_unused = false)
        {
            ArgumentNullException.ThrowIfNull(outputs);
            ArgumentNullException.ThrowIfNull(inputs);
            if (outputs.Count == 0) throw new ArgumentException("Needs at least one output.", nameof(outputs));
            if (grad_outputs is not null && grad_outputs.Count != outputs.Count)
                throw new ArgumentException($"grad_outputs has {grad_outputs.Count} entries, outputs has {outputs.Count}.", nameof(grad_outputs));
            var outs = new IntPtr[outputs.Count];
            var ins = new IntPtr[inputs.Count];
            var gouts = grad_outputs is null ? null : new IntPtr[outputs.Count];
            for (int i = 0; i < outs.Length; i++) outs[i] = outputs[i].Handle;
            for (int i = 0; i < ins.Length; i++) ins[i] = inputs[i].Handle;
            if (gouts is not null) for (int i = 0; i < gouts.Length; i++) gouts[i] = grad_outputs![i]?.Handle ?? IntPtr.Zero;
            var results = new IntPtr[ins.Length];
            int retain = retain_graph is null ? -1 : retain_graph.Value ? 1 : 0;
            fixed (IntPtr* po = outs)
            fixed (IntPtr* pi = ins)
            fixed (IntPtr* pg = gouts)
            fixed (IntPtr* pr = results)
            {
                NativeMethods.Check(NativeMethods.ert_autograd_grad(po, outs.Length, pi, ins.Length, gouts is null ? null : pg,
                    retain, create_graph ? 1 : 0, allow_unused ? 1 : 0, pr));
            }
            GC.KeepAlive(outputs);
            GC.KeepAlive(inputs);
            GC.KeepAlive(grad_outputs);
            var grads = new Tensor?[results.Length];
            for (int i = 0; i < results.Length; i++) grads[i] = Tensor.FromHandleOrNull(results[i]);
            return grads;
        }

        /// <summary>
        /// Forward-mode AD, mirroring <c>torch.autograd.forward_ad</c>: open a <see cref="dual_level"/>, make dual
        /// tensors with <see cref="make_dual"/>, run the function, read tangents with <see cref="unpack_dual"/>.
        /// </summary>
        public static class forward_ad
        {
            [ThreadStatic] private static Stack<long>? t_levels;

            /// <summary>Enters a new dual level; disposing it exits the level and drops its tangents.</summary>
            public static DualLevel dual_level() => new();

            /// <summary>The innermost open level of this thread.</summary>
            internal static long CurrentLevel =>
                t_levels is { Count: > 0 } s ? s.Peek() : throw new InvalidOperationException("make_dual/unpack_dual need an open forward_ad.dual_level().");

            /// <summary>A dual tensor with <paramref name="primal"/> as value and <paramref name="tangent"/> as its derivative direction.</summary>
            public static Tensor make_dual(Tensor primal, Tensor tangent)
            {
                ArgumentNullException.ThrowIfNull(primal);
                ArgumentNullException.ThrowIfNull(tangent);
                var ps = primal.shape;
                var ts = tangent.shape;
                if (!ps.AsSpan().SequenceEqual(ts))
                    throw new ArgumentException($"Tangent shape [{string.Join(", ", ts)}] must equal primal shape [{string.Join(", ", ps)}].", nameof(tangent));
                return Ops.Call("_make_dual", primal, tangent, CurrentLevel);
            }

            /// <summary>Splits a dual tensor into (primal, tangent); tangent is null when none flowed to it.</summary>
            public static (Tensor primal, Tensor? tangent) unpack_dual(Tensor dual)
            {
                ArgumentNullException.ThrowIfNull(dual);
                var r = Ops.CallManyOptional("_unpack_dual", dual, CurrentLevel);
                return (r[0] ?? throw new TorchException("_unpack_dual returned no primal."), r.Length > 1 ? r[1] : null);
            }

            // libtorch 1.13 keeps forward-AD levels process-wide (a second level open at the same time throws "Nested
            // forward mode AD is not supported"), so levels on different threads take turns. A nested level on the same
            // thread does not wait (it would never get its turn) and gets libtorch's error instead.
            private static readonly SemaphoreSlim s_turn = new(1, 1);

            /// <summary>
            /// An open forward-AD level of this thread. libtorch allows one level per process at a time, so opening a
            /// level waits while another thread holds one; dispose it promptly (with <c>using</c>).
            /// </summary>
            public sealed class DualLevel : IDisposable
            {
                private bool _closed;
                private readonly bool _holdsTurn;

                internal DualLevel()
                {
                    _holdsTurn = t_levels is not { Count: > 0 };
                    if (_holdsTurn) s_turn.Wait();
                    try
                    {
                        NativeMethods.Check(NativeMethods.ert_enter_dual_level(out long level));
                        Level = level;
                    }
                    catch
                    {
                        if (_holdsTurn) s_turn.Release();
                        throw;
                    }
                    (t_levels ??= new()).Push(Level);
                }

                /// <summary>libtorch's index of this level.</summary>
                public long Level { get; }

                /// <summary>Exits the level.</summary>
                public void Dispose()
                {
                    if (_closed) return;
                    _closed = true;
                    if (t_levels is { Count: > 0 } && t_levels.Peek() == Level) t_levels.Pop();
                    try
                    {
                        NativeMethods.Check(NativeMethods.ert_exit_dual_level(Level));
                    }
                    finally
                    {
                        if (_holdsTurn) s_turn.Release();
                    }
                }
            }
        }

        /// <summary>
        /// Jacobian-vector product J_f(x)·v by forward-mode AD: returns (f(x), J·v), both owned by the caller's dispose
        /// scope. Runs in its own dual level on the calling thread.
        /// </summary>
        /// <exception cref="InvalidOperationException">
        /// When no tangent reached the output (the output does not depend on x through differentiable ops) or the
        /// function uses an operator without a forward-mode formula (grid_sample / affine_grid in libtorch 1.13). A
        /// missing tangent is never read as zero: that would report a perfectly invariant function.
        /// </exception>
        public static (Tensor output, Tensor jvp) jvp(Func<Tensor, Tensor> f, Tensor x, Tensor v)
        {
            ArgumentNullException.ThrowIfNull(f);
            using var level = forward_ad.dual_level();
            Tensor output, tangent;
            using (var scope = NewDisposeScope())
            {
                var dual = forward_ad.make_dual(x, v);
                Tensor y;
                try
                {
                    y = f(dual) ?? throw new InvalidOperationException("jvp: the function returned null.");
                }
                catch (TorchException e) when (e.Message.Contains("forward AD", StringComparison.OrdinalIgnoreCase))
                {
                    // libtorch refuses ops without a forward-mode formula (grid_sampler_2d in 1.13): never report zero.
                    throw new InvalidOperationException($"jvp: the function uses an operator without forward-mode AD support, so J·v cannot be computed. libtorch: {FirstLine(e.Message)}", e);
                }
                var (p, t) = forward_ad.unpack_dual(y);
                if (t is null)
                    throw new InvalidOperationException("jvp: no tangent reached the output; the function is not forward-differentiable along this path (e.g. grid_sample, or a TorchScript module run with graph optimizations on).");
                output = p.clone().MoveToOuterDisposeScope();
                tangent = t.clone().MoveToOuterDisposeScope();
            }
            return (output, tangent);
        }

        private static string FirstLine(string text)
        {
            int nl = text.IndexOf('\n', StringComparison.Ordinal);
            return nl < 0 ? text : text[..nl];
        }
    }
}
