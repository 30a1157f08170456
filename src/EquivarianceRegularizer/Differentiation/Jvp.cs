namespace EquivarianceRegularizer.Differentiation;

/// <summary>How a Jacobian-vector product is computed.</summary>
public enum JvpMethod
{
    /// <summary>The fastest exact method available.</summary>
    Auto,

    /// <summary>Two reverse passes (the first with create_graph): exact, works everywhere.</summary>
    DoubleBackward,
}

/// <summary>Jacobian-vector products J_f(x)·v (interim: double backward only).</summary>
public static class Jvp
{
    /// <summary>(f(x), J_f(x)·v). With <paramref name="createGraph"/> the tangent stays differentiable.</summary>
    public static (Tensor Output, Tensor Tangent) Compute(Func<Tensor, Tensor> f, Tensor x, Tensor v, JvpMethod method = JvpMethod.Auto, bool createGraph = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(v);
        _ = method;
        Tensor output, tangent;
        using (var scope = NewDisposeScope())
        using (enable_grad())
        {
            var xin = x.detach().requires_grad_(true);
            var y = f(xin);
            var u = zeros_like(y).requires_grad_(true);
            var g = Gradients.Of(y, new[] { xin }, u, createGraph: true)[0]
                ?? throw new InvalidOperationException("jvp: the function's output does not depend on its input.");
            var jv = Gradients.Of(g, new[] { u }, v, createGraph: createGraph)[0]
                ?? throw new InvalidOperationException("jvp: double backward produced no tangent.");
            output = (createGraph ? y : y.detach()).MoveToOuterDisposeScope();
            tangent = (createGraph ? jv : jv.detach()).MoveToOuterDisposeScope();
        }
        return (output, tangent);
    }
}
