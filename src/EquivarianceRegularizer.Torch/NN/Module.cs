namespace EquivarianceRegularizer.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of all modules: named parameters, buffers and children (registration order is kept), train/eval
        /// mode, dtype conversion, hooks. Parameters and buffers are owned by the module and disposed with it.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<KeyValuePair<string, Tensor?>> _parameters = new();
            private readonly List<KeyValuePair<string, Tensor?>> _buffers = new();
            private readonly List<KeyValuePair<string, Module>> _children = new();
            private readonly List<Action<Module, object?, object?>> _observers = new();
            private bool _disposed;

            /// <summary>Creates a module whose type name is <paramref name="name"/>.</summary>
            protected Module(string name) => TypeName = name;

            /// <summary>The module's type name (e.g. "Conv2d").</summary>
            public string TypeName { get; }

            /// <summary>Whether the module is in training mode.</summary>
            public bool training
            {
                get => _training;
                private set
                {
                    _training = value;
                    OnTrainingModeSet(value);
                }
            }

            private bool _training = true;

            /// <summary>
            /// Called whenever <see cref="train"/> sets this module's mode; modules whose state lives elsewhere (e.g. a
            /// TorchScript module) mirror it there.
            /// </summary>
            protected virtual void OnTrainingModeSet(bool mode) { }

            // ---- registration ------------------------------------------------------------------
            private static void CheckName(string name)
            {
                ArgumentException.ThrowIfNullOrEmpty(name);
                if (name.Contains('.', StringComparison.Ordinal))
                    throw new ArgumentException($"Name '{name}' must not contain '.'.", nameof(name));
            }

            private static void Set(List<KeyValuePair<string, Tensor?>> list, string name, Tensor? value)
            {
                value?.DetachFromDisposeScope();
                for (int i = 0; i < list.Count; i++)
                {
                    if (list[i].Key == name)
                    {
                        if (!ReferenceEquals(list[i].Value, value)) list[i].Value?.Dispose();
                        list[i] = new(name, value);
                        return;
                    }
                }
                list.Add(new(name, value));
            }

            private static Tensor? Get(List<KeyValuePair<string, Tensor?>> list, string name)
            {
                foreach (var kv in list) if (kv.Key == name) return kv.Value;
                throw new KeyNotFoundException($"No tensor named '{name}'.");
            }

            /// <summary>Registers (or replaces) a trainable parameter; it is detached from any dispose scope and requires grad.</summary>
            public void register_parameter(string name, Tensor? parameter, bool requires_grad = true)
            {
                CheckName(name);
                if (parameter is not null && requires_grad && !parameter.requires_grad) parameter.requires_grad_();
                Set(_parameters, name, parameter);
            }

            /// <summary>Registers (or replaces) a buffer: state that is saved but not trained (e.g. running statistics).</summary>
            public void register_buffer(string name, Tensor? buffer)
            {
                CheckName(name);
                Set(_buffers, name, buffer);
            }

            /// <summary>Registers a child module.</summary>
            public void register_module(string name, Module module)
            {
                CheckName(name);
                ArgumentNullException.ThrowIfNull(module);
                if (ReferenceEquals(module, this)) throw new ArgumentException("A module cannot be its own child.", nameof(module));
                for (int i = 0; i < _children.Count; i++)
                    if (_children[i].Key == name) { _children[i] = new(name, module); return; }
                _children.Add(new(name, module));
            }

            /// <summary>The parameter registered as <paramref name="name"/> on this module.</summary>
            protected Tensor? GetParameter(string name) => Get(_parameters, name);

            /// <summary>The buffer registered as <paramref name="name"/> on this module.</summary>
            protected Tensor? GetBuffer(string name) => Get(_buffers, name);

            // ---- enumeration -------------------------------------------------------------------
            /// <summary>Parameters with dotted names, this module's first, then each child's.</summary>
            public IEnumerable<(string name, Tensor parameter)> named_parameters(bool recurse = true)
            {
                foreach (var (prefix, m) in recurse ? named_modules() : new[] { (string.Empty, this) })
                    foreach (var kv in m._parameters)
                        if (kv.Value is not null) yield return (Join(prefix, kv.Key), kv.Value);
            }

            /// <summary>All parameters.</summary>
            public IEnumerable<Tensor> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            /// <summary>Buffers with dotted names.</summary>
            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                foreach (var (prefix, m) in recurse ? named_modules() : new[] { (string.Empty, this) })
                    foreach (var kv in m._buffers)
                        if (kv.Value is not null) yield return (Join(prefix, kv.Key), kv.Value);
            }

            /// <summary>Direct children with their names.</summary>
            public IEnumerable<(string name, Module module)> named_children() => _children.Select(kv => (kv.Key, kv.Value));

            /// <summary>This module (name "") and every descendant, with dotted names, depth first.</summary>
            public IEnumerable<(string name, Module module)> named_modules()
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                return Walk(string.Empty, this, seen);
            }

            private static IEnumerable<(string, Module)> Walk(string prefix, Module m, HashSet<Module> seen)
            {
                if (!seen.Add(m)) yield break;
                yield return (prefix, m);
                foreach (var kv in m._children)
                    foreach (var r in Walk(Join(prefix, kv.Key), kv.Value, seen)) yield return r;
            }

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            // ---- modes and conversion ----------------------------------------------------------
            /// <summary>Sets training mode on this module and all descendants.</summary>
            public virtual Module train(bool mode = true)
            {
                foreach (var (_, m) in named_modules()) m.training = mode;
                return this;
            }

            /// <summary>Sets evaluation mode (train(false)).</summary>
            public Module eval() => train(false);

            /// <summary>Converts every floating-point parameter and buffer to <paramref name="dtype"/>.</summary>
            public virtual Module to(ScalarType dtype)
            {
                if (!dtype.IsFloatingPoint()) throw new ArgumentException($"Modules convert to float32 or float64, not {dtype}.", nameof(dtype));
                foreach (var (_, m) in named_modules()) m.ConvertOwnTensors(dtype);
                return this;
            }

            /// <summary>
            /// Converts this module's own floating-point parameters and buffers (not its children's) to
            /// <paramref name="dtype"/>; <see cref="to"/> calls it on every module of the tree.
            /// </summary>
            protected virtual void ConvertOwnTensors(ScalarType dtype)
            {
                Convert(_parameters, dtype, true);
                Convert(_buffers, dtype, false);
            }

            private static void Convert(List<KeyValuePair<string, Tensor?>> list, ScalarType dtype, bool parameters)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    var t = list[i].Value;
                    if (t is null || !t.dtype.IsFloatingPoint() || t.dtype == dtype) continue;
                    bool rg = t.requires_grad;
                    Tensor converted;
                    using (no_grad()) converted = t.detach().to(dtype, copy: true).DetachFromDisposeScope();
                    if (parameters && rg) converted.requires_grad_();
                    t.Dispose();
                    list[i] = new(list[i].Key, converted);
                }
            }

            /// <summary>Clears the gradients of all parameters.</summary>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters()) p.zero_grad(set_to_none);
            }

            // ---- state -------------------------------------------------------------------------
            /// <summary>Parameters and buffers by dotted name (the module's own tensors, not copies).</summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var d = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (n, p) in named_parameters()) d[n] = p;
                foreach (var (n, b) in named_buffers()) d[n] = b;
                return d;
            }

            /// <summary>
            /// Copies tensors from <paramref name="source"/> (dotted names, as <see cref="state_dict"/> gives them) into this
            /// module's parameters and buffers. Every entry is checked before anything is copied: a shape or dtype mismatch
            /// throws an <see cref="ArgumentException"/> naming the key; with <paramref name="strict"/>, so do missing and
            /// unexpected keys. Returns the keys the module has but the source lacks, and the keys the source has but the
            /// module lacks (both empty when strict succeeds).
            /// </summary>
            public (IReadOnlyList<string> missing_keys, IReadOnlyList<string> unexpected_keys) load_state_dict(
                IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                ArgumentNullException.ThrowIfNull(source);
                var own = state_dict();
                var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                if (strict && (missing.Count > 0 || unexpected.Count > 0))
                {
                    var parts = new List<string>();
                    if (missing.Count > 0) parts.Add($"missing key(s) {string.Join(", ", missing.Select(k => $"'{k}'"))}");
                    if (unexpected.Count > 0) parts.Add($"unexpected key(s) {string.Join(", ", unexpected.Select(k => $"'{k}'"))}");
                    throw new ArgumentException($"load_state_dict into {TypeName}: {string.Join("; ", parts)}.", nameof(source));
                }
                foreach (var (key, target) in own)
                {
                    if (!source.TryGetValue(key, out var value)) continue;
                    ArgumentNullException.ThrowIfNull(value, $"{nameof(source)}['{key}']");
                    var ts = target.shape;
                    var vs = value.shape;
                    if (!ts.AsSpan().SequenceEqual(vs))
                        throw new ArgumentException($"load_state_dict: key '{key}' has shape [{string.Join(", ", vs)}] but the module expects [{string.Join(", ", ts)}].", nameof(source));
                    if (target.dtype != value.dtype)
                        throw new ArgumentException($"load_state_dict: key '{key}' has dtype {value.dtype} but the module expects {target.dtype}.", nameof(source));
                }
                using (no_grad())
                {
                    foreach (var (key, target) in own)
                        if (source.TryGetValue(key, out var value)) target.copy_(value);
                }
                return (missing, unexpected);
            }

            /// <summary>
            /// Writes <see cref="state_dict"/> to <paramref name="path"/> in the binary format of
            /// <see cref="Modules.StateDictFile"/> (names, dtypes, shapes, raw data).
            /// </summary>
            public Module save(string path)
            {
                Modules.StateDictFile.Save(state_dict(), path);
                return this;
            }

            /// <summary>
            /// Reads a file written by <see cref="save"/> and loads it with <see cref="load_state_dict"/> (names, shapes and
            /// dtypes are checked; errors name the offending key).
            /// </summary>
            public Module load(string path, bool strict = true)
            {
                var loaded = Modules.StateDictFile.Load(path);
                try
                {
                    load_state_dict(loaded, strict);
                }
                finally
                {
                    foreach (var t in loaded.Values) t.Dispose();
                }
                return this;
            }

            /// <summary>All buffers.</summary>
            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            /// <summary>Direct children.</summary>
            public IEnumerable<Module> children() => _children.Select(kv => kv.Value);

            /// <summary>This module and every descendant, depth first.</summary>
            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            /// <summary>Calls <paramref name="fn"/> on every descendant and then on this module (as PyTorch's apply).</summary>
            public Module apply(Action<Module> fn)
            {
                ArgumentNullException.ThrowIfNull(fn);
                foreach (var child in _children) child.Value.apply(fn);
                fn(this);
                return this;
            }

            // ---- observers (used by hooks and by the audit's activation capture) ---------------
            /// <summary>
            /// Registers an untyped observer called after every forward of this module with (module, input, output).
            /// Dispose the returned handle to remove it.
            /// </summary>
            public IDisposable register_forward_observer(Action<Module, object?, object?> observer)
            {
                ArgumentNullException.ThrowIfNull(observer);
                _observers.Add(observer);
                return new Removal(() => _observers.Remove(observer));
            }

            /// <summary>Whether any observer is registered on this module.</summary>
            protected bool HasForwardObservers => _observers.Count > 0;

            /// <summary>Calls the observers; derived classes call this after forward.</summary>
            protected void NotifyObservers(object? input, object? output)
            {
                if (_observers.Count == 0) return;
                foreach (var o in _observers.ToArray()) o(this, input, output);
            }

            /// <summary>A handle whose disposal removes a hook.</summary>
            protected internal sealed class Removal(Action remove) : IDisposable
            {
                private Action? _remove = remove;

                /// <summary>Removes the hook.</summary>
                public void Dispose()
                {
                    _remove?.Invoke();
                    _remove = null;
                }
            }

            /// <summary>Disposes parameters, buffers and children.</summary>
            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            /// <summary>Releases owned tensors.</summary>
            protected virtual void Dispose(bool disposing)
            {
                if (_disposed || !disposing) return;
                _disposed = true;
                foreach (var kv in _parameters) kv.Value?.Dispose();
                foreach (var kv in _buffers) kv.Value?.Dispose();
                foreach (var kv in _children) kv.Value.Dispose();
            }

            /// <summary>Type name.</summary>
            public override string ToString() => TypeName;
        }

        /// <summary>A module with a typed forward. Call it through <see cref="call"/> so hooks run.</summary>
        public abstract class Module<T, TResult> : Module
        {
            private readonly List<Func<Module<T, TResult>, T, T>> _preHooks = new();
            private readonly List<Func<Module<T, TResult>, T, TResult, TResult>> _postHooks = new();

            /// <summary>Creates the module.</summary>
            protected Module(string name) : base(name) { }

            /// <summary>The computation.</summary>
            public abstract TResult forward(T input);

            /// <summary>Runs pre-hooks, forward, post-hooks and observers.</summary>
            public TResult call(T input)
            {
                foreach (var h in _preHooks) input = h(this, input);
                var output = forward(input);
                foreach (var h in _postHooks) output = h(this, input, output);
                NotifyObservers(input, output);
                return output;
            }

            /// <summary>Whether any forward pre-hook or hook is registered on this module.</summary>
            protected bool HasForwardHooks => _preHooks.Count > 0 || _postHooks.Count > 0;

            /// <summary>Registers a hook run before forward; it may replace the input.</summary>
            public IDisposable register_forward_pre_hook(Func<Module<T, TResult>, T, T> hook)
            {
                ArgumentNullException.ThrowIfNull(hook);
                _preHooks.Add(hook);
                return new Removal(() => _preHooks.Remove(hook));
            }

            /// <summary>Registers a hook run after forward; it may replace the output.</summary>
            public IDisposable register_forward_hook(Func<Module<T, TResult>, T, TResult, TResult> hook)
            {
                ArgumentNullException.ThrowIfNull(hook);
                _postHooks.Add(hook);
                return new Removal(() => _postHooks.Remove(hook));
            }
        }
    }
}
