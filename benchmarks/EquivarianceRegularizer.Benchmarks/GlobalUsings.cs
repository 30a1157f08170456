// TorchSharp's types (Tensor, Generator, nn, optim, …) are nested in TorchSharp.torch; every benchmark uses them.
global using TorchSharp;
global using static TorchSharp.torch;
