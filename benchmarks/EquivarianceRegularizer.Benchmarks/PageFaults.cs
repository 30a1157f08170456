using System.Runtime.InteropServices;

namespace EquivarianceRegularizer.Benchmarks;

/// <summary>
/// The calling thread's minor page faults so far (Linux getrusage(RUSAGE_THREAD)). A fault is paid in the thread's
/// CPU time (several microseconds each in this VM), so a computation that touches fresh pages (glibc returned the
/// heap's top to the kernel, or served a large block by mmap) is slower for reasons outside its arithmetic. The
/// interleaved check and the LEE profile print the median count next to each time; a ratio whose computations differ
/// in faults measures the allocator's state as much as the code.
/// </summary>
internal static partial class PageFaults
{
    private const int RusageThread = 1;

    /// <summary>Minor faults of this thread so far; -1 where unavailable.</summary>
    public static long Minor() => OperatingSystem.IsLinux() && getrusage(RusageThread, out var u) == 0 ? u.MinorFaults : -1;

    /// <summary>CPU seconds of every waited-for child so far and the largest child's peak RSS (kB): getrusage(RUSAGE_CHILDREN).</summary>
    public static (double Cpu, long MaxRssKb) Children()
    {
        if (getrusage(-1, out var u) != 0) return (double.NaN, -1);
        return (u.UserSeconds + u.UserMicroseconds / 1e6 + u.SystemSeconds + u.SystemMicroseconds / 1e6, u.MaxRss);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, SharedRss, UnsharedData, UnsharedStack;
        public long MinorFaults, MajorFaults;
        public long Swaps, BlockInputs, BlockOutputs, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int getrusage(int who, out RUsage usage);
}
