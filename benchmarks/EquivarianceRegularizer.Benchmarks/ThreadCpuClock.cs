using System.Runtime.InteropServices;
using Perfolizer.Horology;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// A BenchmarkDotNet clock that reads the CPU time of the calling thread (Linux CLOCK_THREAD_CPUTIME_ID) instead of
/// wall-clock time. On a machine shared with other jobs, wall-clock iterations absorb however long the benchmark
/// thread waited for a core; the thread's own CPU time does not. It only measures work done on the benchmark thread,
/// so benchmarks that use it must keep libtorch at one intra-op thread (then ATen runs every kernel inline) and
/// must not leave work to the finalizer thread.
/// </summary>
public sealed partial class ThreadCpuClock : IClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static readonly ThreadCpuClock Instance = new();

    public string Title => "ThreadCpuTime";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => new(1_000_000_000);

    public long GetTimestamp()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var ts) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed.");
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int clock_gettime(int clockId, out Timespec ts);
}
