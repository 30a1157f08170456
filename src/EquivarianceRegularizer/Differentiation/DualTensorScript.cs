using TorchSharp;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Differentiation;

/// <summary>
/// libtorch's <c>_make_dual</c> / <c>_unpack_dual</c> operators, which TorchSharp does not bind, reached through a
/// compiled TorchScript helper. Level 0 is hard-coded: libtorch supports one forward-AD level at a time, and
/// <see cref="ForwardModeJvp"/> checks that the level it opened is 0.
/// </summary>
internal sealed class DualTensorScript
{
    private const string Source = """
        def make_dual(primal: Tensor, tangent: Tensor) -> Tensor:
            return torch._make_dual(primal, tangent, 0)

        def unpack_dual(dual: Tensor) -> List[Tensor]:
            unpacked = torch._unpack_dual(dual, 0)
            return [unpacked[0], unpacked[1]]

        """; // TorchScript's parser wants the source to end with a newline.

    private readonly jit.CompilationUnit _unit;

    private DualTensorScript(jit.CompilationUnit unit) => _unit = unit;

    /// <summary>
    /// Compiles the helper. Call only after <see cref="ForwardAdNativeFunctions.TryResolve"/> found both operators:
    /// a compile error would abort the process.
    /// </summary>
    public static DualTensorScript Compile() => new(Jit.TorchScriptLoader.CompileLibrarySource(Source));

    /// <summary>A dual tensor with primal <paramref name="primal"/> and tangent <paramref name="tangent"/> (level 0).</summary>
    public Tensor MakeDual(Tensor primal, Tensor tangent) => _unit.invoke<Tensor>("make_dual", primal, tangent);

    /// <summary>
    /// The primal and the tangent of <paramref name="dual"/>; the tangent is null where <paramref name="dual"/> carries
    /// none (it does not depend on the dual input through operations forward mode follows).
    /// </summary>
    public (Tensor Primal, Tensor? Tangent) UnpackDual(Tensor dual)
    {
        var parts = _unit.invoke<Tensor[]>("unpack_dual", dual);
        var tangent = parts[1];
        return (parts[0], IsDefined(tangent) ? tangent : null);
    }

    // An undefined libtorch tensor comes back as a Tensor whose every query throws; numel() is the cheapest probe.
    private static bool IsDefined(Tensor tensor)
    {
        if (tensor.IsInvalid) return false;
        try
        {
            _ = tensor.numel();
            return true;
        }
        catch (System.Runtime.InteropServices.ExternalException)
        {
            return false;
        }
    }
}
