using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>
/// Multiplies by a ramp over (H, W), 1 + u + v with u, v from −1 to 1 (a positional encoding): breaks translation
/// equivariance on purpose (the culprit). A gain, not a bias: a global mean turns a bias's Lie derivative into boundary
/// terms only; a smooth ramp, not noise, so that its effect survives the mean coherently.
/// </summary>
internal sealed class PositionalGain : nn.Module<Tensor, Tensor>
{
    private readonly Parameter gain;

    public PositionalGain(long channels, long size) : base(nameof(PositionalGain))
    {
        using var ramp = linspace(-1.0, 1.0, size);
        using var map = 1.0f + ramp.view(1, 1, size, 1) + ramp.view(1, 1, 1, size);
        gain = new Parameter(map.repeat(1, channels, 1, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => input * gain;
}

/// <summary>Nested container: conv, functional tanh, positional gain, functional residual sum.</summary>
internal sealed class AttributionBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly PositionalGain pos;

    public AttributionBlock(long channels, long size) : base("Block")
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1);
        pos = new PositionalGain(channels, size);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => pos.call(conv.call(input).tanh()) + input;
}

/// <summary>
/// The TorchSharp twin of tests/fixtures/lie/generate_lie_fixtures.py's FunctionalCnn: relu between children and a mean
/// before the head, so not a plain chain of its top-level children.
/// </summary>
internal sealed class FunctionalCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly AttributionBlock block;
    private readonly Linear head;

    public FunctionalCnn(long size = 12) : base(nameof(FunctionalCnn))
    {
        torch.manual_seed(11);
        conv1 = nn.Conv2d(1, 4, 3, padding: 1);
        block = new AttributionBlock(4, size);
        head = nn.Linear(4, 5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var h = nn.functional.relu(conv1.call(input));
        h = block.call(h);
        return head.call(h.mean(new long[] { 2, 3 }));
    }
}

/// <summary>The TorchSharp twin of the fixture script's CircularCnn: exactly invariant to cyclic translations when both convolutions are circular.</summary>
internal sealed class CircularCnn : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear head;

    public CircularCnn(PaddingModes secondPadding = PaddingModes.Circular) : base(nameof(CircularCnn))
    {
        torch.manual_seed(12);
        conv1 = nn.Conv2d(1, 4, 3, padding: 1, padding_mode: PaddingModes.Circular);
        conv2 = nn.Conv2d(4, 4, 3, padding: 1, padding_mode: secondPadding);
        head = nn.Linear(4, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var h = nn.functional.relu(conv1.call(input));
        h = conv2.call(h).tanh();
        return head.call(h.mean(new long[] { 2, 3 }));
    }
}

/// <summary>Returns two tensors: a module the attribution cannot take as one tensor in, one tensor out.</summary>
internal sealed class SplitHalves : nn.Module<Tensor, (Tensor, Tensor)>
{
    public SplitHalves() : base(nameof(SplitHalves)) { }

    public override (Tensor, Tensor) forward(Tensor input) => (input * 2.0, input.square());
}

/// <summary>conv → a tuple-returning child → sum of its halves → mean → linear.</summary>
internal sealed class TupleChildNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly SplitHalves split;
    private readonly Linear head;

    public TupleChildNet() : base(nameof(TupleChildNet))
    {
        torch.manual_seed(31);
        conv = nn.Conv2d(1, 2, 3, padding: 1);
        split = new SplitHalves();
        head = nn.Linear(2, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var (a, b) = split.call(conv.call(input));
        return head.call((a + b).mean(new long[] { 2, 3 }));
    }
}
