using EquivarianceRegularizer.Differentiation;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Differentiation;

/// <summary>libtorch's create_graph warning on standard error is followed by one line of ours, once per process.</summary>
[NonParallelizable]
public class CreateGraphNoteTests
{
    [Test]
    public void DoubleBackward_WritesOurExplanation_OncePerProcess()
    {
        var previous = Console.Error;
        using var captured = new StringWriter();
        try
        {
            Console.SetError(captured);
            Gradients.ResetCreateGraphNote();
            for (int i = 0; i < 3; i++)
            {
                using var _ = NewDisposeScope();
                var x = randn(4).requires_grad_();
                var g = Gradients.Of(x.pow(3).sum(), new[] { x }, createGraph: true)[0]!;
                Assert.That(g.requires_grad, Is.True);
            }
            using (var scope = NewDisposeScope())
            {
                var x = randn(4).requires_grad_();
                Gradients.Of(x.pow(3).sum(), new[] { x });
            }
        }
        finally
        {
            Console.SetError(previous);
        }
        var lines = captured.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Is.EqualTo(new[] { Gradients.CreateGraphNote }));
    }
}
