using System.Runtime.InteropServices;
using EquivarianceRegularizer.Torch.Native;

namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    /// <summary>TorchScript: modules saved by PyTorch (<c>torch.jit.script(model).save(path)</c> or a traced model).</summary>
    public static partial class jit
    {
        private static ReadOnlySpan<byte> ZipSignature => "PK\u0003\u0004"u8;

        /// <summary>
        /// Loads a TorchScript module saved by PyTorch (torch.jit.save / ScriptModule.save) onto the CPU.
        /// Throws <see cref="FileNotFoundException"/> when <paramref name="path"/> does not exist and
        /// <see cref="InvalidDataException"/> (with libtorch's message) when the file is not a readable TorchScript
        /// archive: truncated, corrupted, or a plain <c>torch.save</c> pickle.
        /// </summary>
        public static ScriptModule load(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
                throw new FileNotFoundException($"TorchScript file '{full}' is a directory, not a file.", full);
            if (!File.Exists(full))
                throw new FileNotFoundException($"TorchScript file not found: '{full}'.", full);

            Span<byte> head = stackalloc byte[4];
            int read;
            using (var stream = File.OpenRead(full)) read = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            if (read < 4 || !head.SequenceEqual(ZipSignature))
                throw new InvalidDataException(
                    $"'{full}' is not a TorchScript archive: it does not start with the zip signature PK\\x03\\x04 (TorchScript files are zip archives written by torch.jit.save).");

            IntPtr handle;
            try
            {
                NativeMethods.Check(JitNative.ert_jit_load(full, out handle));
            }
            catch (TorchException e)
            {
                throw new InvalidDataException($"Cannot load TorchScript module from '{full}': {e.Message}", e);
            }
            var module = ScriptModule.Wrap(handle);
            try
            {
                module.SyncTrainingFromNative();
            }
            catch
            {
                module.Dispose();
                throw;
            }
            return module;
        }
    }

    /// <summary>
    /// A TorchScript module loaded with <see cref="jit.load"/>: a module like the others (named_modules,
    /// named_parameters, train/eval, to(dtype), call/forward, observers) whose computation and state live in
    /// libtorch. Its children are ScriptModules too; parameters and buffers are the native module's own tensors
    /// (in-place updates such as an optimizer step reach the module).
    /// </summary>
    /// <remarks>
    /// When a forward-AD level is open (<see cref="autograd.forward_ad.dual_level"/>), forward runs with the graph
    /// executor's optimizations off, because optimized TorchScript execution silently drops forward-mode tangents.
    /// (It runs a copy of forward that is never optimized: in libtorch 1.13 switching the optimizer off does not
    /// help once ordinary calls have made the executor build its optimized plan.)
    /// Forward hooks and pre-hooks of a child run only when that child is called directly; when the parent runs,
    /// the child executes inside libtorch, so a parent forward with hooks on a descendant throws. Observers
    /// (<see cref="nn.Module.register_forward_observer"/>) on descendants are fed from <see cref="forward_with_taps(Tensor)"/>.
    /// Not thread-safe: use one ScriptModule from one thread at a time.
    /// </remarks>
    public sealed class ScriptModule : nn.Module<Tensor, Tensor>
    {
        private IntPtr _handle;

        private ScriptModule(IntPtr handle, string typeName, string qualifiedTypeName) : base(typeName)
        {
            _handle = handle;
            QualifiedTypeName = qualifiedTypeName;
        }

        /// <summary>Finalizer: frees the native module when the ScriptModule was never disposed.</summary>
        ~ScriptModule()
        {
            Dispose(false);
        }

        /// <summary>The TorchScript class name, e.g. "__torch__.torch.nn.modules.conv.___torch_mangle_2.Conv2d".</summary>
        public string QualifiedTypeName { get; }

        /// <summary>
        /// Whether forward may use the graph executor's optimizations (default true). Whatever the value, they are
        /// off while a forward-AD level is open, so tangents are never lost. <see cref="forward_with_taps(Tensor)"/>
        /// always runs unoptimized.
        /// </summary>
        public bool optimized_execution { get; set; } = true;

        private IntPtr Handle
        {
            get
            {
                var h = _handle;
                if (h == IntPtr.Zero) throw new ObjectDisposedException(nameof(ScriptModule), "The script module was disposed.");
                return h;
            }
        }

        internal static ScriptModule Wrap(IntPtr handle)
        {
            ScriptModule? module = null;
            try
            {
                module = new ScriptModule(handle, TypeNameOf(handle, false), TypeNameOf(handle, true));
                handle = IntPtr.Zero;
                module.Populate();
                return module;
            }
            catch
            {
                if (handle != IntPtr.Zero) JitNative.ert_jit_free(handle);
                module?.Dispose();
                throw;
            }
        }

        private static string TypeNameOf(IntPtr handle, bool qualified)
        {
            NativeMethods.Check(JitNative.ert_jit_type_name(handle, qualified ? 1 : 0, out IntPtr text));
            return NativeMethods.TakeString(text);
        }

        // Registers the native module's own parameters, buffers and children with the managed base class, so the
        // generic enumeration (named_parameters, named_modules, state_dict, ...) sees them with dotted names.
        private unsafe void Populate()
        {
            var (names, array, count) = Members(0);
            var parameters = JitNative.TakeTensors((IntPtr*)array, count);
            for (int i = 0; i < parameters.Length; i++) register_parameter(names[i], parameters[i], requires_grad: false);

            (names, array, count) = Members(1);
            var buffers = JitNative.TakeTensors((IntPtr*)array, count);
            for (int i = 0; i < buffers.Length; i++) register_buffer(names[i], buffers[i]);

            (names, array, count) = Members(2);
            var children = new IntPtr[count];
            for (int i = 0; i < children.Length; i++) children[i] = ((IntPtr*)array)[i];
            JitNative.ert_jit_free_array((IntPtr*)array);
            for (int i = 0; i < children.Length; i++)
            {
                ScriptModule child;
                try
                {
                    child = Wrap(children[i]);
                }
                catch
                {
                    for (int j = i + 1; j < children.Length; j++) JitNative.ert_jit_free(children[j]);
                    throw;
                }
                register_module(names[i], child);
            }
        }

        // Names and a native array of handles (tensors for kinds 0 and 1, script modules for kind 2).
        private unsafe (string[] names, IntPtr array, int count) Members(int kind)
        {
            NativeMethods.Check(JitNative.ert_jit_named_members(Handle, kind, out IntPtr text, out IntPtr* handles, out int count));
            var joined = NativeMethods.TakeString(text);
            var names = count == 0 ? Array.Empty<string>() : joined.Split('\n');
            if (names.Length != count)
                throw new InvalidOperationException($"Native member listing returned {names.Length} names for {count} members.");
            return (names, (IntPtr)handles, count);
        }

        // The managed `training` flags start from the loaded module's own attributes. All are read first, then set
        // top-down (train() sets a whole subtree, natively too), so each module ends with its own saved value.
        internal void SyncTrainingFromNative()
        {
            var saved = new List<(ScriptModule module, bool mode)>();
            foreach (var (_, m) in named_modules())
            {
                var script = (ScriptModule)m;
                NativeMethods.Check(JitNative.ert_jit_is_training(script.Handle, out int mode));
                saved.Add((script, mode != 0));
            }
            foreach (var (module, mode) in saved) // pre-order: a parent first, then each descendant its own value
                module.train(mode);
        }

        /// <summary>Whether the module's class defines a method called <paramref name="name"/>.</summary>
        public bool has_method(string name)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            NativeMethods.Check(JitNative.ert_jit_has_method(Handle, name, out int exists));
            return exists != 0;
        }

        /// <inheritdoc/>
        protected override void OnTrainingModeSet(bool mode)
        {
            if (_handle != IntPtr.Zero) NativeMethods.Check(JitNative.ert_jit_set_training(_handle, mode ? 1 : 0));
        }

        /// <inheritdoc/>
        protected override void ConvertOwnTensors(ScalarType dtype) =>
            // The native tensors change dtype in place (their identity is kept), so the registered handles stay valid.
            NativeMethods.Check(JitNative.ert_jit_convert_own(Handle, (int)dtype));

        /// <summary>Runs the module's TorchScript forward on one tensor; the result must be one tensor.</summary>
        public override Tensor forward(Tensor input)
        {
            ArgumentNullException.ThrowIfNull(input);
            return forward(new[] { input });
        }

        /// <summary>Runs the module's TorchScript forward on several tensor arguments; the result must be one tensor.</summary>
        public Tensor forward(params Tensor[] inputs)
        {
            var outputs = Run(inputs, out bool isTensor);
            if (!isTensor || outputs.Length != 1)
            {
                foreach (var t in outputs) t.Dispose();
                throw new InvalidOperationException(
                    $"{TypeName}.forward returned {(isTensor ? "a tensor" : $"a tuple/list holding {outputs.Length} tensors")}, not one tensor; use forward_flat.");
            }
            return outputs[0];
        }

        /// <summary>
        /// Runs forward and returns every tensor of the result in order (a tensor result gives one entry; tensors
        /// nested in tuples, lists or dicts are flattened depth first).
        /// </summary>
        public Tensor[] forward_flat(params Tensor[] inputs) => Run(inputs, out _);

        private Tensor[] Run(Tensor[] inputs, out bool isTensor)
        {
            CheckInputs(inputs);
            var observed = DescendantsWithObservers();
            if (observed.Count > 0)
            {
                // The children run inside libtorch, so their observers are fed from the taps of one forward pass.
                var (outputs, taps) = RunWithTaps(inputs, out isTensor);
                var byName = named_modules().ToDictionary(p => p.name, p => (ScriptModule)p.module, StringComparer.Ordinal);
                foreach (var tap in taps)
                {
                    if (byName.TryGetValue(tap.Name, out var m) && observed.Contains(m))
                        m.NotifyObservers(tap.Inputs.Length == 1 ? tap.Inputs[0] : tap.Inputs,
                            tap.Outputs.Length == 1 ? tap.Outputs[0] : tap.Outputs);
                }
                return outputs;
            }
            return RunPlain(inputs, out isTensor);
        }

        private unsafe Tensor[] RunPlain(Tensor[] inputs, out bool isTensor)
        {
            var handles = new IntPtr[inputs.Length];
            for (int i = 0; i < inputs.Length; i++) handles[i] = inputs[i].Handle;
            IntPtr* outs;
            int count, tensorFlag;
            fixed (IntPtr* p = handles)
                NativeMethods.Check(JitNative.ert_jit_forward(Handle, p, handles.Length, optimized_execution ? 1 : 0, out outs, out count, out tensorFlag));
            GC.KeepAlive(inputs);
            isTensor = tensorFlag != 0;
            return JitNative.TakeTensors(outs, count);
        }

        private HashSet<ScriptModule> DescendantsWithObservers()
        {
            var set = new HashSet<ScriptModule>(ReferenceEqualityComparer.Instance);
            foreach (var (name, m) in named_modules())
            {
                if (name.Length == 0) continue;
                var script = (ScriptModule)m;
                if (script.HasForwardHooks)
                    throw new NotSupportedException(
                        $"Submodule '{name}' of this ScriptModule has forward hooks, which cannot run inside TorchScript execution; use register_forward_observer or forward_with_taps to see its activations.");
                if (script.HasForwardObservers) set.Add(script);
            }
            return set;
        }

        private static void CheckInputs(Tensor[] inputs)
        {
            ArgumentNullException.ThrowIfNull(inputs);
            for (int i = 0; i < inputs.Length; i++)
                if (inputs[i] is null) throw new ArgumentNullException(nameof(inputs), $"Input {i} is null.");
        }

        /// <summary>
        /// Runs forward once and captures every submodule call: its name (dotted, as in <see cref="nn.Module.named_modules"/>),
        /// type name, tensor inputs and output. Taps come in the order the calls complete (a child's own submodules
        /// before the child), which is the order PyTorch's forward hooks fire; a submodule called twice gives two taps.
        /// Captured tensors are copies taken at call time, so later in-place ops do not change them. They stay
        /// differentiable (and carry forward-AD tangents). Throws <see cref="NotSupportedException"/> when a
        /// submodule is called inside TorchScript control flow (if/loop) or through a module interface.
        /// </summary>
        public (Tensor output, IReadOnlyList<SubmoduleTap> taps) forward_with_taps(Tensor input)
        {
            ArgumentNullException.ThrowIfNull(input);
            var (outputs, taps) = forward_with_taps(new[] { input });
            if (outputs.Length != 1)
            {
                foreach (var t in outputs) t.Dispose();
                foreach (var t in taps) t.Dispose();
                throw new InvalidOperationException($"{TypeName}.forward returned {outputs.Length} tensors, not one; use forward_with_taps(Tensor[]).");
            }
            return (outputs[0], taps);
        }

        /// <summary>
        /// Like <see cref="forward_with_taps(Tensor)"/> for several inputs; returns the result's tensors flattened as
        /// <see cref="forward_flat"/> does.
        /// </summary>
        public (Tensor[] outputs, IReadOnlyList<SubmoduleTap> taps) forward_with_taps(params Tensor[] inputs)
        {
            CheckInputs(inputs);
            var (outputs, taps) = RunWithTaps(inputs, out _);
            return (outputs, taps);
        }

        private unsafe (Tensor[] outputs, IReadOnlyList<SubmoduleTap> taps) RunWithTaps(Tensor[] inputs, out bool isTensor)
        {
            var handles = new IntPtr[inputs.Length];
            for (int i = 0; i < inputs.Length; i++) handles[i] = inputs[i].Handle;
            IntPtr* outs;
            int count;
            IntPtr metaText;
            int status;
            fixed (IntPtr* p = handles)
                status = JitNative.ert_jit_forward_with_taps(Handle, p, handles.Length, optimized_execution ? 1 : 0, out outs, out count, out metaText);
            GC.KeepAlive(inputs);
            if (status != 0)
            {
                var message = Marshal.PtrToStringUTF8(NativeMethods.ert_last_error()) ?? "native error";
                NativeMethods.ert_clear_error();
                if (message.Contains("forward_with_taps:", StringComparison.Ordinal))
                    throw new NotSupportedException(message[(message.IndexOf("forward_with_taps:", StringComparison.Ordinal) + 18)..].Trim());
                throw new TorchException(message);
            }
            var tensors = JitNative.TakeTensors(outs, count);
            var meta = NativeMethods.TakeString(metaText).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var head = meta[0].Split('\t');
            int pos = int.Parse(head[0], System.Globalization.CultureInfo.InvariantCulture);
            isTensor = head[1] == "1";
            var outputs = tensors[..pos];
            var taps = new List<SubmoduleTap>(meta.Length - 1);
            for (int i = 1; i < meta.Length; i++)
            {
                var f = meta[i].Split('\t');
                int nIn = int.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture);
                int nOut = int.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture);
                taps.Add(new SubmoduleTap(f[0], f[1], tensors[pos..(pos + nIn)], tensors[(pos + nIn)..(pos + nIn + nOut)]));
                pos += nIn + nOut;
            }
            return (outputs, taps);
        }

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            if (disposing) base.Dispose(disposing);
            var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
            if (h != IntPtr.Zero) JitNative.ert_jit_free(h);
        }

        /// <summary>Type name and qualified TorchScript class name.</summary>
        public override string ToString() => $"ScriptModule {TypeName} ({QualifiedTypeName})";
    }

    /// <summary>
    /// One submodule call captured by <see cref="ScriptModule.forward_with_taps(Tensor)"/>. Disposing it disposes
    /// its tensors (they also belong to the dispose scope that was current during the forward).
    /// </summary>
    public sealed class SubmoduleTap : IDisposable
    {
        internal SubmoduleTap(string name, string typeName, Tensor[] inputs, Tensor[] outputs)
        {
            Name = name;
            TypeName = typeName;
            Inputs = inputs;
            Outputs = outputs;
        }

        /// <summary>The submodule's dotted name, as listed by named_modules (e.g. "features.2.conv").</summary>
        public string Name { get; }

        /// <summary>The submodule's type name (last part of its class name, e.g. "Conv2d").</summary>
        public string TypeName { get; }

        /// <summary>The call's tensor arguments, in order (non-tensor arguments are left out).</summary>
        public Tensor[] Inputs { get; }

        /// <summary>Every tensor of the call's result (one for a tensor result; tuples/lists are flattened).</summary>
        public Tensor[] Outputs { get; }

        /// <summary>The call's result when it is one tensor; throws otherwise.</summary>
        public Tensor Output => Outputs.Length == 1
            ? Outputs[0]
            : throw new InvalidOperationException($"Submodule '{Name}' returned {Outputs.Length} tensors; read Outputs.");

        /// <summary>Disposes the captured tensors.</summary>
        public void Dispose()
        {
            foreach (var t in Inputs) t.Dispose();
            foreach (var t in Outputs) t.Dispose();
        }

        /// <summary>Name and type.</summary>
        public override string ToString() => $"{Name} ({TypeName})";
    }
}
