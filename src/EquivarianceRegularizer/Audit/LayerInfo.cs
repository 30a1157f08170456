namespace EquivarianceRegularizer.Audit;

/// <summary>A declared submodule: its name, type, whether it has children.</summary>
/// <param name="Name">Dotted name.</param>
/// <param name="TypeName">Type name.</param>
/// <param name="IsContainer">True when the module has children (its error is the composition of theirs).</param>
internal sealed record LayerInfo(string Name, string TypeName, bool IsContainer);
