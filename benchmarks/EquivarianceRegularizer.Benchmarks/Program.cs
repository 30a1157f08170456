using BenchmarkDotNet.Running;
using EquivarianceRegularizer.Benchmarks;

if (args.Length == 1 && args[0] == InterleavedOverheadCheck.Flag)
{
    InterleavedOverheadCheck.Run();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
