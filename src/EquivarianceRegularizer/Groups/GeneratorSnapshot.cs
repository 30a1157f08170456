namespace EquivarianceRegularizer.Groups;

// The state of a generator at one draw. Replay runs a function from that state: the first replay leaves the generator
// where the function left it (one call's worth of draws); later replays restore the state they found, so replaying
// never advances the generator twice.
internal sealed class GeneratorSnapshot(Generator generator) : IDisposable
{
    private readonly Tensor _state = generator.get_state().DetachFromDisposeScope();
    private bool _replayed;

    public Tensor Replay(Func<Tensor> function)
    {
        var resume = _replayed ? generator.get_state() : null;
        generator.set_state(_state);
        try
        {
            return function();
        }
        finally
        {
            if (resume is not null)
            {
                generator.set_state(resume);
                resume.Dispose();
            }
            _replayed = true;
        }
    }

    public void Dispose() => _state.Dispose();
}
