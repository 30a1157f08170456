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
if (args.Length >= 2 && args[0] == AuditScaleBenchmark.Flag)
{
    int samples = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 32;
    int audits = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 1;
    AuditScaleBenchmark.Run(args[1], samples, audits, args.Skip(4).ToArray());
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
