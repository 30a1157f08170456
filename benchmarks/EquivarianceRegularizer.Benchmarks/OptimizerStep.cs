namespace EquivarianceRegularizer.Benchmarks;

/// <summary>The training step every step benchmark times: zero_grad, the loss the benchmark builds, backward, step.</summary>
internal static class OptimizerStep
{
    public static double Run(optim.Optimizer optimizer, Func<Tensor> loss)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var value = loss();
        value.backward();
        optimizer.step();
        return value.ToDouble();
    }
}
