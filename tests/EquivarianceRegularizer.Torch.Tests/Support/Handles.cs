namespace EquivarianceRegularizer.Torch.Tests.Support;

/// <summary>Helpers for counting native tensor handles without interference from other tests' finalizers.</summary>
internal static class Handles
{
    /// <summary>Runs pending finalizers (of tensors other tests dropped) and returns the live-handle count.</summary>
    public static long SettledCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.LiveHandleCount;
    }

    /// <summary>Resident memory of this process in kB (VmRSS from /proc/self/status).</summary>
    public static long ResidentKilobytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            var digits = new string(line.Where(char.IsDigit).ToArray());
            return long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException("/proc/self/status has no VmRSS line.");
    }
}
