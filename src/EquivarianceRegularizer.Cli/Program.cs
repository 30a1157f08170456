namespace EquivarianceRegularizer.Cli;

/// <summary>Entry point of the eqv tool.</summary>
public static class Program
{
    /// <summary>Runs the command line.</summary>
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: eqv audit|lie MODEL.pt ...");
        return args.Length == 0 ? 2 : 2;
    }
}
