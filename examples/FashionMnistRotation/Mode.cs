/// <summary>The three ways the example trains its model.</summary>
internal enum Mode { Plain, Regularized, Alternating }
