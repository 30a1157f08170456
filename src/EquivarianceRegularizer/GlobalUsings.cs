// TorchSharp's types (Tensor, ScalarType, Generator, nn, …) are nested in TorchSharp.torch; every file uses them.
global using TorchSharp;
global using static TorchSharp.torch;
global using EquivarianceRegularizer.Groups;
global using EquivarianceRegularizer.Models;
