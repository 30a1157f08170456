using System.Numerics;

namespace EquivarianceRegularizer.Sampling;

/// <summary>
/// Randomized quasi-Monte Carlo: the first n points of a Sobol sequence, freshly scrambled on every call with a
/// random linear matrix scramble and a random digital shift (Matoušek). Each call is an unbiased estimate whose
/// variance for smooth integrands falls much faster than plain Monte Carlo's 1/n; use n a power of two.
/// <para>
/// Direction numbers: dimension 0 is van der Corput; dimension j ≥ 1 uses the j-th primitive polynomial over GF(2)
/// (enumerated by degree) with initial direction numbers m_k (odd, below 2^k) drawn from a fixed SplitMix64 stream
/// per dimension, so every one-dimensional projection of 2^m points is stratified into 2^m equal cells.
/// </para>
/// </summary>
public sealed class ScrambledSobolSampler : IPointSampler
{
    private const int Bits = 32;
    private static readonly List<uint[]> s_directions = new();
    private static readonly List<(uint poly, int degree)> s_polynomials = new();
    private static readonly Lock s_lock = new();

    /// <summary>The shared instance.</summary>
    public static ScrambledSobolSampler Instance { get; } = new();

    /// <inheritdoc />
    public string Name => "sobol";

    /// <summary>Largest supported dimension (points per Sobol sequence are limited to 2^32).</summary>
    public const long MaxDimensions = 1 << 16;

    /// <inheritdoc />
    public Tensor SampleUnitCube(long n, long dimensions, Generator generator, ScalarType dtype)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        if (dimensions > MaxDimensions)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions,
                $"The scrambled Sobol sampler draws at most {MaxDimensions:N0} values per sample (its direction numbers stop there), and " +
                $"one sample of this input shape has {dimensions:N0}; sample with PointSampling's Monte Carlo sampler, or use a smaller input shape.");
        generator.RequireLive(nameof(generator));
        AllocationGuard.EnsureFits(new[] { n, dimensions }, ScalarType.Float64, "n", copies: 2);
        // The points are built in one .NET array before they become a tensor.
        if (n * dimensions > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(n), n,
                $"The scrambled Sobol sampler builds its points in one array of at most {Array.MaxLength:N0} values; {n:N0} samples of " +
                $"{dimensions:N0} values each do not fit. Draw fewer samples at a time (a smaller n).");
        int d = checked((int)dimensions);
        var directions = Directions(d);
        // 33 random 32-bit words per dimension: 32 rows of the lower-triangular scramble, then the shift.
        long[] random;
        using (var r = randint(0, 1L << 32, new[] { dimensions, Bits + 1L }, generator: generator)) random = r.data<long>().ToArray();
        var points = new double[n * d];
        var rows = new uint[Bits];
        const double scale = 1.0 / 4294967296.0;
        for (int j = 0; j < d; j++)
        {
            var v = directions[j];
            for (int r = 0; r < Bits; r++)
            {
                uint below = r == 0 ? 0u : ~0u << (Bits - r);
                rows[r] = ((uint)random[j * (Bits + 1) + r] & below) | (1u << (Bits - 1 - r));
            }
            uint shift = (uint)random[j * (Bits + 1) + Bits];
            uint x = 0;
            for (long i = 0; i < n; i++)
            {
                if (i > 0) x ^= v[BitOperations.TrailingZeroCount((ulong)i)];
                uint y = 0;
                for (int r = 0; r < Bits; r++)
                    y |= (uint)(BitOperations.PopCount(rows[r] & x) & 1) << (Bits - 1 - r);
                points[i * d + j] = (y ^ shift) * scale;
            }
        }
        using var t = tensor(points, new[] { n, dimensions });
        return t.to(dtype, copy: true);
    }

    /// <summary>The (unscrambled) direction numbers v_0…v_31 of dimension j as 32-bit fractions.</summary>
    internal static uint[][] Directions(int dimensions)
    {
        lock (s_lock)
        {
            while (s_directions.Count < dimensions) s_directions.Add(BuildDirections(s_directions.Count));
            return s_directions.Take(dimensions).ToArray();
        }
    }

    private static uint[] BuildDirections(int j)
    {
        var v = new uint[Bits];
        if (j == 0)
        {
            for (int k = 0; k < Bits; k++) v[k] = 1u << (Bits - 1 - k);
            return v;
        }
        var (poly, s) = Polynomial(j - 1);
        var m = new ulong[Bits + 1];
        ulong state = 0x9E3779B97F4A7C15UL * (ulong)(j + 1);
        for (int k = 1; k <= Math.Min(s, Bits); k++)
        {
            // Odd m_k < 2^k (m_1 = 1).
            ulong r = SplitMix64(ref state);
            m[k] = ((r % (1UL << (k - 1))) << 1) | 1UL;
        }
        for (int k = s + 1; k <= Bits; k++)
        {
            ulong value = m[k - s] ^ (m[k - s] << s);
            for (int i = 1; i < s; i++)
                if (((poly >> (s - i)) & 1) != 0) value ^= m[k - i] << i;
            m[k] = value;
        }
        for (int k = 1; k <= Bits; k++) v[k - 1] = (uint)(m[k] << (Bits - k));
        return v;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The i-th primitive polynomial over GF(2) in order of degree, as bits (x^s … 1) and its degree s.</summary>
    private static (uint poly, int degree) Polynomial(int index)
    {
        while (s_polynomials.Count <= index)
        {
            if (s_nextPolynomial >= 1u << (s_nextDegree + 1))
            {
                s_nextDegree++;
                s_nextPolynomial = (1u << s_nextDegree) | 1u;
            }
            if (IsPrimitive(s_nextPolynomial, s_nextDegree)) s_polynomials.Add((s_nextPolynomial, s_nextDegree));
            s_nextPolynomial += 2; // the constant term stays 1
        }
        return s_polynomials[index];
    }

    private static int s_nextDegree = 1;
    private static uint s_nextPolynomial = 0b11;

    // x has order exactly 2^s − 1 modulo poly ⇔ poly is primitive.
    private static bool IsPrimitive(uint poly, int degree)
    {
        ulong order = (1UL << degree) - 1;
        if (PowMod(2, order, poly, degree) != 1) return false;
        ulong rest = order;
        for (ulong q = 2; q * q <= rest; q++)
        {
            if (rest % q != 0) continue;
            if (PowMod(2, order / q, poly, degree) == 1) return false;
            while (rest % q == 0) rest /= q;
        }
        return rest <= 1 || PowMod(2, order / rest, poly, degree) != 1;
    }

    // Polynomials over GF(2) as bit masks; returns base^e mod poly.
    private static ulong PowMod(ulong b, ulong e, uint poly, int degree)
    {
        ulong result = 1;
        b = Reduce(b, poly, degree);
        while (e > 0)
        {
            if ((e & 1) != 0) result = MulMod(result, b, poly, degree);
            b = MulMod(b, b, poly, degree);
            e >>= 1;
        }
        return result;
    }

    private static ulong MulMod(ulong a, ulong b, uint poly, int degree)
    {
        ulong r = 0;
        while (b != 0)
        {
            if ((b & 1) != 0) r ^= a;
            b >>= 1;
            a <<= 1;
            if (((a >> degree) & 1) != 0) a ^= poly;
        }
        return r;
    }

    private static ulong Reduce(ulong a, uint poly, int degree)
    {
        for (int bit = 63; bit >= degree; bit--)
            if (((a >> bit) & 1) != 0) a ^= (ulong)poly << (bit - degree);
        return a;
    }
}
