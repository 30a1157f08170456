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
            var xin = x.requires_grad ? x : x.detach().requires_grad_(true);
            var y = f(xin);
            var u = zeros_like(y).requires_grad_(true);
            var g = autograd.grad(new[] { y }, new[] { xin }, new[] { u }, create_graph: true)[0];
            var jv = autograd.grad(new[] { g }, new[] { u }, new[] { v }, create_graph: createGraph)[0];
            output = (createGraph ? y : y.detach()).MoveToOuterDisposeScope();
            tangent = (createGraph ? jv : jv.detach()).MoveToOuterDisposeScope();
        }
        return (output, tangent);
    }
}
