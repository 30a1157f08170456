using System.Globalization;
using BenchmarkDotNet.Running;
using EquivarianceRegularizer.Benchmarks;

if (args.Length >= 1 && args[0] == InterleavedRatioCheck.Flag)
{
    int rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
    InterleavedRatioCheck.Run(rounds, leeOnly: args.Length > 2 && args[2] == "lee", trainingOnly: args.Length > 2 && args[2] == "training",
        model: args.Length > 3 ? args[3] : null, numFuncs: args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : null);
    return;
}
if (args.Length >= 1 && args[0] == LeeProfile.Flag)
{
    LeeProfile.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
