namespace EquivarianceRegularizer.JitFuzz;

/// <summary>How a variant was made from a valid TorchScript archive.</summary>
public enum CorruptionKind
{
    /// <summary>The archive cut at a random length.</summary>
    Truncated,

    /// <summary>1–8 random bits flipped anywhere in the file.</summary>
    BitFlipped,

    /// <summary>A prefix of one archive joined to a suffix of another (raw bytes).</summary>
    SplicedBytes,

    /// <summary>A well-formed archive (valid CRCs) in which one entry was replaced by another archive's entry, dropped or duplicated.</summary>
    SplicedEntries,

    /// <summary>A well-formed archive (valid CRCs) in which one entry's content was bit-flipped or truncated: only libtorch's parsers can notice.</summary>
    CorruptedEntryWithValidCrc,

    /// <summary>A well-formed archive (valid CRCs) in which 1–4 bytes of one code/*.py entry were replaced by other printable characters: only libtorch's compiler can notice.</summary>
    DamagedCodeWithValidCrc,

    /// <summary>A well-formed archive (valid CRCs) whose code calls an operator libtorch does not know, as an archive from a newer PyTorch can.</summary>
    UnknownOperator,
}

/// <summary>One corrupt file: which fixture it came from, how it was made and its bytes.</summary>
public sealed record CorruptVariant(int Index, string BaseFixture, CorruptionKind Kind, string Description, byte[] Bytes);

/// <summary>A valid archive the variants are made from, with an input its forward accepts.</summary>
public sealed record JitFixture(string Name, byte[] Bytes, long[] InputShape);

/// <summary>
/// Deterministic generator of corrupt variants of the TorchScript fixtures (tests/fixtures/jit/): variant i of seed s
/// is always the same file, so a child process can rebuild any variant from (s, i) alone.
/// </summary>
public sealed class CorruptVariantGenerator
{
    private static readonly CorruptionKind[] Kinds = Enum.GetValues<CorruptionKind>();
    private readonly IReadOnlyList<JitFixture> _fixtures;
    private readonly List<List<(string Name, byte[] Data)>> _entries;
    private readonly int _seed;

    /// <summary>The fixtures used (names in tests/fixtures/jit/) with an input shape each.</summary>
    public static IReadOnlyList<(string File, long[] InputShape)> DefaultFixtures { get; } = new[]
    {
        ("small_cnn_scripted.pt", new long[] { 2, 1, 8, 8 }),
        ("small_cnn_traced.pt", new long[] { 2, 1, 8, 8 }),
        ("nested_scripted.pt", new long[] { 2, 1, 6, 6 }),
        ("nested_traced.pt", new long[] { 2, 1, 6, 6 }),
        ("call_inside_if_scripted.pt", new long[] { 2, 4 }),
    };

    /// <summary>Loads <see cref="DefaultFixtures"/> from <paramref name="directory"/>.</summary>
    public static CorruptVariantGenerator FromDirectory(string directory, int seed) =>
        new(DefaultFixtures.Select(f => new JitFixture(f.File, File.ReadAllBytes(Path.Combine(directory, f.File)), f.InputShape)).ToList(), seed);

    /// <summary>Creates a generator over the given valid archives.</summary>
    public CorruptVariantGenerator(IReadOnlyList<JitFixture> fixtures, int seed)
    {
        ArgumentNullException.ThrowIfNull(fixtures);
        if (fixtures.Count == 0) throw new ArgumentException("Needs at least one fixture.", nameof(fixtures));
        _fixtures = fixtures;
        _entries = fixtures.Select(f => StoredZip.ReadEntries(f.Bytes)).ToList();
        _seed = seed;
    }

    /// <summary>The fixtures.</summary>
    public IReadOnlyList<JitFixture> Fixtures => _fixtures;

    /// <summary>Variant <paramref name="index"/>: kinds cycle, so any 7 consecutive variants cover every kind.</summary>
    public CorruptVariant Make(int index)
    {
        var rng = new Random(unchecked(_seed * 1_000_003 + index));
        int f = rng.Next(_fixtures.Count);
        var fixture = _fixtures[f];
        var original = fixture.Bytes;
        var kind = Kinds[index % Kinds.Length];
        switch (kind)
        {
            case CorruptionKind.Truncated:
            {
                int length = rng.Next(0, original.Length);
                return new(index, fixture.Name, kind, $"truncated to {length} of {original.Length} bytes", original[..length]);
            }
            case CorruptionKind.BitFlipped:
            {
                var bytes = (byte[])original.Clone();
                int flips = rng.Next(1, 9);
                var at = new List<string>();
                for (int k = 0; k < flips; k++)
                {
                    int p = rng.Next(bytes.Length), bit = rng.Next(8);
                    bytes[p] ^= (byte)(1 << bit);
                    at.Add($"{p}.{bit}");
                }
                return new(index, fixture.Name, kind, $"bits flipped at {string.Join(",", at)}", bytes);
            }
            case CorruptionKind.SplicedBytes:
            {
                // Fixtures share long identical prefixes (same zip layout), so a splice at the same offset inside
                // the shared prefix can reproduce another fixture exactly, which is a valid archive: draw again.
                int g, cut, from;
                byte[] other, bytes;
                do
                {
                    g = rng.Next(_fixtures.Count);
                    other = _fixtures[g].Bytes;
                    cut = rng.Next(1, original.Length);
                    from = rng.Next(0, other.Length);
                    bytes = original[..cut].Concat(other[from..]).ToArray();
                }
                while (_fixtures.Any(x => x.Bytes.AsSpan().SequenceEqual(bytes)));
                return new(index, fixture.Name, kind, $"bytes [0,{cut}) + {_fixtures[g].Name} bytes [{from},{other.Length})", bytes);
            }
            case CorruptionKind.SplicedEntries:
            {
                var entries = _entries[f].ToList();
                int e = rng.Next(entries.Count);
                int action = rng.Next(3);
                string what;
                if (action == 0)
                {
                    int g = rng.Next(_entries.Count);
                    var donor = _entries[g][rng.Next(_entries[g].Count)];
                    entries[e] = (entries[e].Name, donor.Data);
                    what = $"entry {Short(entries[e].Name)} replaced by {_fixtures[g].Name}:{Short(donor.Name)}";
                }
                else if (action == 1)
                {
                    what = $"entry {Short(entries[e].Name)} dropped";
                    entries.RemoveAt(e);
                }
                else
                {
                    int g = rng.Next(_entries.Count);
                    var donor = _entries[g][rng.Next(_entries[g].Count)];
                    // Same-named entry twice: the reader must pick one consistently (or reject the archive).
                    entries.Insert(rng.Next(entries.Count + 1), (entries[e].Name, donor.Data));
                    what = $"entry {Short(entries[e].Name)} duplicated with {_fixtures[g].Name}:{Short(donor.Name)}'s content";
                }
                return new(index, fixture.Name, kind, what, StoredZip.Write(entries));
            }
            case CorruptionKind.DamagedCodeWithValidCrc:
                return DamageCode(index, fixture, f, rng);
            case CorruptionKind.UnknownOperator:
                return CallUnknownOperator(index, fixture, f, rng) ?? DamageCode(index, fixture, f, rng);
            default:
            {
                var entries = _entries[f].ToList();
                int e = rng.Next(entries.Count);
                var data = (byte[])entries[e].Data.Clone();
                string what;
                if (data.Length > 0 && rng.Next(2) == 0)
                {
                    int flips = rng.Next(1, 5);
                    for (int k = 0; k < flips; k++) data[rng.Next(data.Length)] ^= (byte)(1 << rng.Next(8));
                    what = $"{flips} bits flipped inside entry {Short(entries[e].Name)} (CRC recomputed)";
                }
                else
                {
                    int length = data.Length == 0 ? 0 : rng.Next(data.Length);
                    data = data[..length];
                    what = $"entry {Short(entries[e].Name)} truncated to {length} bytes (CRC recomputed)";
                }
                entries[e] = (entries[e].Name, data);
                return new(index, fixture.Name, kind, what, StoredZip.Write(entries));
            }
        }
    }

    private const string Printable = "abcdefghijklmnopqrstuvwxyz_()[]:.,=+-*\"' 0123456789\n";

    // Replaces 1-4 characters of one code entry (CRC recomputed): text stays text, so the damage reaches the compiler.
    private CorruptVariant DamageCode(int index, JitFixture fixture, int f, Random rng)
    {
        var entries = _entries[f].ToList();
        var code = CodeEntries(entries);
        int e = code[rng.Next(code.Count)];
        var data = (byte[])entries[e].Data.Clone();
        int changes = rng.Next(1, 5);
        var at = new List<string>();
        for (int k = 0; k < changes; k++)
        {
            int p = rng.Next(data.Length);
            byte c;
            do c = (byte)Printable[rng.Next(Printable.Length)]; while (c == data[p]);
            at.Add($"{p}:'{(char)data[p]}'->'{(char)c}'".Replace("\n", "\\n", StringComparison.Ordinal));
            data[p] = c;
        }
        entries[e] = (entries[e].Name, data);
        return new(index, fixture.Name, CorruptionKind.DamagedCodeWithValidCrc, $"code {Short(entries[e].Name)} chars {string.Join(",", at)} (CRC recomputed)", StoredZip.Write(entries));
    }

    // Renames one torch.<op>( call in the code to an operator libtorch does not have; null when the fixture has none.
    private CorruptVariant? CallUnknownOperator(int index, JitFixture fixture, int f, Random rng)
    {
        var entries = _entries[f].ToList();
        var calls = new List<(int Entry, System.Text.RegularExpressions.Match Match)>();
        foreach (int e in CodeEntries(entries))
        {
            var text = System.Text.Encoding.UTF8.GetString(entries[e].Data);
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"\btorch\.([a-z_][a-z_0-9]*)\("))
                calls.Add((e, m));
        }
        if (calls.Count == 0) return null;
        var (entry, match) = calls[rng.Next(calls.Count)];
        var source = System.Text.Encoding.UTF8.GetString(entries[entry].Data);
        var op = match.Groups[1].Value;
        var changed = source[..match.Index] + $"ops.aten.{op}_from_a_newer_pytorch(" + source[(match.Index + match.Length)..];
        entries[entry] = (entries[entry].Name, System.Text.Encoding.UTF8.GetBytes(changed));
        return new(index, fixture.Name, CorruptionKind.UnknownOperator, $"code {Short(entries[entry].Name)}: torch.{op} -> aten::{op}_from_a_newer_pytorch (CRC recomputed)", StoredZip.Write(entries));
    }

    private static List<int> CodeEntries(List<(string Name, byte[] Data)> entries) =>
        Enumerable.Range(0, entries.Count).Where(i => entries[i].Name.Contains("/code/", StringComparison.Ordinal) && entries[i].Name.EndsWith(".py", StringComparison.Ordinal)).ToList();

    private static string Short(string entryName)
    {
        int slash = entryName.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? entryName : entryName[(slash + 1)..];
    }
}
