namespace EquivarianceRegularizer.Cli;

/// <summary>
/// The report files one run writes. Paths are checked before the work starts: a folder that does not exist is an
/// error unless --create-dirs was given (a report path never creates folders silently). Each written file prints
/// "NAME report written to PATH".
/// </summary>
internal sealed class ReportFiles
{
    private readonly bool _createDirs;
    private readonly bool _quiet;
    private readonly Dictionary<string, string> _paths = new(StringComparer.Ordinal);

    public ReportFiles(bool createDirs, bool quiet, params (string Option, string? Path)[] paths)
    {
        _createDirs = createDirs;
        _quiet = quiet;
        foreach (var (option, path) in paths)
        {
            if (path is null) continue;
            if (path.Length == 0) throw new ArgumentException($"{option} needs a file path.");
            _paths[option] = path;
        }
    }

    /// <summary>Adds a further report option (e.g. --text).</summary>
    public ReportFiles With(string option, string? path)
    {
        if (path is { Length: 0 }) throw new ArgumentException($"{option} needs a file path.");
        if (path is not null) _paths[option] = path;
        return this;
    }

    /// <summary>Whether <paramref name="option"/> was given.</summary>
    public bool Wants(string option) => _paths.ContainsKey(option);

    /// <summary>Checks every path: not a folder, its folder exists (or --create-dirs). Throws ArgumentException naming the option.</summary>
    public void Check()
    {
        foreach (var (option, path) in _paths)
        {
            string full;
            try { full = Path.GetFullPath(path); }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                throw new ArgumentException($"{option}: '{path}' is not a valid file path.");
            }
            if (Directory.Exists(full)) throw new ArgumentException($"{option}: '{path}' is a folder; give a file path.");
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir) && !_createDirs)
                throw new ArgumentException($"{option}: the folder '{dir}' does not exist; create it, or pass --create-dirs.");
        }
    }

    /// <summary>Writes every asked-for report (rendering only those asked for) and says where on <paramref name="stdout"/>.</summary>
    public void WriteAll(TextWriter stdout, params (string Option, string What, Func<string> Render)[] reports)
    {
        foreach (var (option, what, render) in reports)
        {
            if (!_paths.TryGetValue(option, out var path)) continue;
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (_createDirs && !string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            File.WriteAllText(path, render());
            if (!_quiet) stdout.WriteLine($"{what} report written to {EquivarianceRegularizer.Audit.Reports.ReportText.Printable(path)}");
        }
    }
}
