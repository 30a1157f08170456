using EquivarianceRegularizer.Groups;

namespace EquivarianceRegularizer.Transforms;

/// <summary>
/// Every group action the library ships, made by name in one place (as TorchVision's <c>torchvision.transforms</c>
/// factories are): finite actions (quarter turns, flips, D4, cyclic shifts, permutations), continuous image flows
/// (translations, rotation, scaling, shear, stretch, and your own from an affine generator or a vector field), colour
/// flows, rotations of vectors, compositions and your own functions. Each returns an <see cref="IGroupTransform"/>
/// (finite ones an <see cref="IFiniteTransform"/>, whose group enumerates its elements; continuous ones an
/// <see cref="IContinuousTransform"/>, which the Lie derivative takes) ready for
/// <see cref="Symmetry"/>, the regularizer, the audit and the assertions.
/// <para>
/// Image flows act on N×C×H×W tensors in frame coordinates (u, v) ∈ [−1, 1]² (u along the width, v along the
/// height; ±1 are the outer edges of the border pixels unless <see cref="ImageFlowOptions.AlignCorners"/>), so a
/// translation by t moves the content by t·W/2 pixels; parameters are drawn uniformly from <c>range</c>.
/// </para>
/// <code>
/// var reg = new EquivarianceError(model, [1, 28, 28], [(Transform.Identity, Transform.RotationByQuarterTurns(), 0.0, 0.3)]);
/// var lee = LocalEquivarianceError.Measure(model.call, x, Transform.Rotation());
/// </code>
/// </summary>
public static class Transform
{
    /// <summary>The identity (the trivial group): the output action of an invariance.</summary>
    public static IFiniteTransform Identity => IdentityTransform.Instance;

    /// <summary>Rotation by k quarter turns (the cyclic group C4) in the plane of two sample axes (default the last two: H, W).</summary>
    public static IFiniteTransform RotationByQuarterTurns(int axis0 = -2, int axis1 = -1) => new RotationByQuarterTurns(axis0, axis1);

    /// <summary>Mirror along the last sample axis (a horizontal flip of images; the group C2).</summary>
    public static IFiniteTransform FlipHorizontal() => EquivarianceRegularizer.Transforms.Flip.Horizontal();

    /// <summary>Mirror along the second-last sample axis (a vertical flip of images; the group C2).</summary>
    public static IFiniteTransform FlipVertical() => EquivarianceRegularizer.Transforms.Flip.Vertical();

    /// <summary>Mirror along sample axis <paramref name="axis"/> (the group C2), named <paramref name="name"/> in reports.</summary>
    public static IFiniteTransform Flip(int axis, string name = "flip") => new Flip(axis, name);

    /// <summary>
    /// The dihedral group D4 of the square on two sample axes (default H, W): element e = 4·f + k is "flip the second
    /// axis f times, then rotate by k quarter turns".
    /// </summary>
    public static IFiniteTransform Dihedral(int axis0 = -2, int axis1 = -1) => new DihedralTransform(axis0, axis1);

    /// <summary>Cyclic shift (<c>torch.roll</c>) along sample axis <paramref name="axis"/> of length <paramref name="axisLength"/>: the group Z_n.</summary>
    public static IFiniteTransform CyclicShift(int axisLength, int axis = -1) => new CyclicShift(axisLength, axis);

    /// <summary>
    /// The symmetric group S_n permuting sample axes <paramref name="axes"/> (default axis 0) of length
    /// <paramref name="n"/> with one permutation per sample (a set or token axis; both node axes of an adjacency matrix).
    /// </summary>
    public static IGroupTransform Permutation(int n, params int[] axes) => new Permutation(n, axes);

    /// <summary>Translation along the width: content moves right for t &gt; 0; default range ±0.25 frame units (±W/8 pixels).</summary>
    public static IContinuousTransform TranslationX(ParameterRange? range = null, ImageFlowOptions? options = null) => new TranslationX(range, options);

    /// <summary>Translation along the height: content moves down for t &gt; 0; default range ±0.25 frame units.</summary>
    public static IContinuousTransform TranslationY(ParameterRange? range = null, ImageFlowOptions? options = null) => new TranslationY(range, options);

    /// <summary>
    /// 2-D translation: each sample draws (t_u, t_v) independently from <paramref name="range"/>; the Lie derivative
    /// uses the one-parameter subgroup along (<paramref name="directionU"/>, <paramref name="directionV"/>), normalized.
    /// </summary>
    public static IContinuousTransform Translation2D(ParameterRange? range = null, ImageFlowOptions? options = null, double directionU = 1, double directionV = 1) =>
        new Translation2D(range, options, directionU, directionV);

    /// <summary>Rotation about the image centre by t radians, counter-clockwise as displayed; default range ±π/6.</summary>
    public static IContinuousTransform Rotation(ParameterRange? range = null, ImageFlowOptions? options = null) => new Rotation(range, options);

    /// <summary>Uniform scaling about the centre by the factor e^t (content grows for t &gt; 0); default range ±0.2.</summary>
    public static IContinuousTransform Scaling(ParameterRange? range = null, ImageFlowOptions? options = null) => new Scaling(range, options);

    /// <summary>Horizontal shear u ↦ u + t·v about the centre; default range ±0.2.</summary>
    public static IContinuousTransform Shear(ParameterRange? range = null, ImageFlowOptions? options = null) => new Shear(range, options);

    /// <summary>Area-preserving stretch (u, v) ↦ (e^t u, e^−t v); default range ±0.2.</summary>
    public static IContinuousTransform Stretch(ParameterRange? range = null, ImageFlowOptions? options = null) => new Stretch(range, options);

    /// <summary>
    /// Your own one-parameter affine flow g_t = exp(tA) of the image plane, from its 2×3 generator
    /// <paramref name="generator"/> = [L | b] (rows u, v: the velocity at point p is L·p + b, in frame units).
    /// </summary>
    public static IContinuousTransform AffineFlow(string name, double[,] generator, ParameterRange range, ImageFlowOptions? options = null) =>
        new AffineFlowTransform(name, generator, range, options);

    /// <summary>
    /// The flow of your own vector field Y(u, v) = (du/dt, dv/dt) in frame units (e.g. a swirl or a radial warp),
    /// integrated with <paramref name="steps"/> classical Runge–Kutta steps per unit |t|; its tangent is −∇x·Y as for
    /// the built-in flows.
    /// </summary>
    public static IContinuousTransform VectorFieldFlow(string name, Func<double, double, (double du, double dv)> field, ParameterRange range,
        ImageFlowOptions? options = null, int steps = 32) => new VectorFieldFlowTransform(name, field, range, options, steps);

    /// <summary>Brightness: x ↦ e^t·x on every channel; default range ±0.2 (factors 0.82…1.22). Exact on the pixel grid, not clamped.</summary>
    public static IContinuousTransform Brightness(ParameterRange? range = null) => new Brightness(range);

    /// <summary>Hue: rotation of the RGB vector by t radians about the gray axis (keeps the mean intensity); default range ±π/6. RGB only.</summary>
    public static IContinuousTransform Hue(ParameterRange? range = null) => new Hue(range);

    /// <summary>Saturation: x ↦ gray + e^t·(x − gray) with ITU-R 601 luma (as torchvision's adjust_saturation); default range ±0.3. RGB only.</summary>
    public static IContinuousTransform Saturation(ParameterRange? range = null) => new Saturation(range);

    /// <summary>Your own channel flow x ↦ exp(tG)·x on the channel vector of every pixel (channels on axis 1), for a square C×C generator G.</summary>
    public static IContinuousTransform ChannelFlow(string name, double[,] generator, ParameterRange range) => new LinearChannelFlowTransform(name, generator, range);

    /// <summary>
    /// SO(2) rotating the 2-vectors along sample axis <paramref name="axis"/> counter-clockwise by θ (Haar-random unless
    /// <paramref name="range"/> limits θ); with <see cref="Rotation"/> as the input action, both act by the same drawn
    /// angle per sample (a model predicting a direction from an image).
    /// </summary>
    public static IContinuousTransform VectorRotation2D(int axis = -1, ParameterRange? range = null) =>
        new VectorRotation2D(axis, range is { } r ? new PlaneRotationGroup(r) : null);

    /// <summary>
    /// SO(3) rotating the 3-vectors along sample axis <paramref name="axis"/> (Haar-random); the Lie derivative turns
    /// about <paramref name="generatorAxis"/> (0 = x, 1 = y, 2 = z).
    /// </summary>
    public static IContinuousTransform VectorRotation3D(int axis = -1, int generatorAxis = 2) => new VectorRotation3D(axis, generatorAxis);

    /// <summary>The composition factors[0] ∘ factors[1] ∘ … (the last factor acts first), each with its own drawn element.</summary>
    public static IGroupTransform Compose(params IGroupTransform[] factors) => new ComposedTransform(factors);

    /// <summary>
    /// Your own function applied as given (e.g. "negate", or a function that draws its own random angle), acting by a
    /// group of its own. With <paramref name="replaysRandomness"/> each draw snapshots TorchSharp's default generator
    /// and every application of that draw replays it, so a random function acts identically on an input and its output
    /// (the reference package's <c>(f, ε, λ)</c>).
    /// </summary>
    public static IGroupTransform FromFunction(string name, Func<Tensor, Tensor> apply, bool replaysRandomness = false) =>
        new LambdaTransform(name, apply) { ReplaysRandomness = replaysRandomness };

    /// <summary>
    /// Your own random action: <paramref name="group"/> (e.g. <see cref="Group.Custom"/>) draws a parameter row per
    /// sample and <paramref name="apply"/> applies given parameters; input and output actions built with the same
    /// group object share the draw.
    /// <code>
    /// var shifts = Group.Custom("shift", (n, g) =&gt; torch.rand(new[] { n, 1L }, dtype: ScalarType.Float64, generator: g));
    /// var onInputs = Transform.FromFunction("shift", shifts, (x, p) =&gt; x + p.to(x.dtype).view(-1, 1));
    /// </code>
    /// </summary>
    public static IGroupTransform FromFunction(string name, Group group, Func<Tensor, Tensor, Tensor> apply) => new RandomLambdaTransform(name, group, apply);
}
