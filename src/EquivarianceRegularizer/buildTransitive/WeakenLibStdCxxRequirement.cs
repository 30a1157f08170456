// MSBuild task compiled by RoslynCodeTaskFactory from EquivarianceRegularizer.NativeLoad.targets (and into the
// consumer tests). Written against netstandard2.0 because that is what the code task factory compiles against, on
// every MSBuild (dotnet build and Visual Studio alike). ELF layout: System V gABI, "Symbol Versioning" of the Linux
// Standard Base Core Specification 5.0 (Elf64_Verneed / Elf64_Vernaux / Elf64_Verdef).
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace EquivarianceRegularizer.Build;

/// <summary>
/// Marks the <c>GLIBCXX_3.4.32</c> version requirement of output copies of <c>libLibTorchSharp.so</c> weak
/// (<c>VER_FLG_WEAK</c>), so that the dynamic loader of a host whose libstdc++ is older than GCC 13's loads it.
/// TorchSharp 0.107 asks for that version for one symbol that no relocation uses; the flag changes nothing else.
/// </summary>
public sealed class WeakenLibStdCxxRequirement : Microsoft.Build.Utilities.Task
{
    /// <summary>The symbol version that libLibTorchSharp.so requires and older libstdc++ builds lack.</summary>
    public const string MissingVersion = "GLIBCXX_3.4.32";

    /// <summary>The MSBuild property that switches this step; every message names it.</summary>
    public const string SwitchProperty = "EquivarianceRegularizerPatchLibStdCxx";

    private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Output copies to patch (never files in the package cache).</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary><c>auto</c>: only when the host's libstdc++ lacks the version; <c>always</c>: regardless of host.</summary>
    public string Mode { get; set; } = "auto";

    /// <summary>The host's libstdc++.so.6 to check; empty: the one this process loaded, else the usual folders.</summary>
    public string HostLibStdCxx { get; set; } = "";

    /// <summary>The NuGet package folder; files under it are refused, so a misdirected item cannot edit the cache.</summary>
    public string PackageRoot { get; set; } = "";

    /// <summary>The files this run rewrote.</summary>
    [Output]
    public ITaskItem[] PatchedFiles { get; set; } = Array.Empty<ITaskItem>();

    /// <inheritdoc />
    public override bool Execute()
    {
        if (Files.Length == 0) return true;
        if (string.Equals(Mode, "auto", StringComparison.OrdinalIgnoreCase) && HostProvidesMissingVersion()) return true;
        var patched = new List<ITaskItem>();
        foreach (var item in Files)
        {
            var path = Path.GetFullPath(item.ItemSpec);
            if (IsUnder(path, PackageRoot))
            {
                Log.LogWarning(null, "EQVR003", null, null, 0, 0, 0, 0, "{0} lies in the NuGet package folder {1}; it is left as it is (only output copies are patched; set {2}=false to skip this step).", path, PackageRoot, SwitchProperty);
                continue;
            }
            if (!File.Exists(path)) continue;
            try
            {
                if (PatchFile(path)) patched.Add(item);
            }
            catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogWarning(null, "EQVR001", null, path, 0, 0, 0, 0, "Could not mark {0} weak in {1}: {2} TorchSharp may fail to load on this machine; set {3}=false to skip this step.", MissingVersion, path, e.Message, SwitchProperty);
            }
        }
        PatchedFiles = patched.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>True when the host's libstdc++ defines <see cref="MissingVersion"/>; unknown counts as false.</summary>
    private bool HostProvidesMissingVersion()
    {
        var host = string.IsNullOrEmpty(HostLibStdCxx) ? FindHostLibStdCxx() : HostLibStdCxx;
        if (host == null || !File.Exists(host))
        {
            Log.LogMessage(MessageImportance.Normal, "{0}: no libstdc++.so.6 found on this host; patching anyway (the weak flag is harmless where the version exists).", SwitchProperty);
            return false;
        }
        try
        {
            var defined = DefinedVersions(File.ReadAllBytes(host));
            if (defined.Contains(MissingVersion))
            {
                Log.LogMessage(MessageImportance.Low, "{0}: {1} defines {2}; libLibTorchSharp.so loads as shipped, nothing to patch.", SwitchProperty, host, MissingVersion);
                return true;
            }
            Log.LogMessage(MessageImportance.Normal, "{0}: {1} lacks {2} (libstdc++ older than GCC 13); patching libLibTorchSharp.so output copies.", SwitchProperty, host, MissingVersion);
        }
        catch (Exception e) when (e is InvalidDataException || e is IOException || e is UnauthorizedAccessException)
        {
            Log.LogMessage(MessageImportance.Normal, "{0}: could not read the versions of {1} ({2}); patching anyway.", SwitchProperty, host, e.Message);
        }
        return false;
    }

    /// <summary>The libstdc++ the loader resolved for this very process (MSBuild runs on .NET, which links it), else the first in the usual folders.</summary>
    internal static string? FindHostLibStdCxx()
    {
        try
        {
            foreach (var line in File.ReadAllLines("/proc/self/maps"))
            {
                var slash = line.IndexOf('/');
                var mapped = slash >= 0 ? line.Substring(slash).Trim() : "";
                // A file replaced since it was mapped reads "... (deleted)": then look in the folders instead.
                if (Path.GetFileName(mapped).StartsWith("libstdc++.so.6", StringComparison.Ordinal) && File.Exists(mapped)) return mapped;
            }
        }
        catch (IOException) { } // no /proc (not Linux, or a sandbox): fall back to the folders below
        catch (UnauthorizedAccessException) { }
        var folders = new List<string>((Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
        folders.AddRange(new[] { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" });
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, "libstdc++.so.6");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Marks the requirement weak in a new file that is renamed over <paramref name="path"/>; false when nothing had to change.</summary>
    private bool PatchFile(string path)
    {
        var data = File.ReadAllBytes(path);
        var flagsOffset = FindRequirementFlags(data, MissingVersion, out var versionIndex);
        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, "{0}: {1} does not require {2}; left as it is.", SwitchProperty, path, MissingVersion);
            return false;
        }
        var flags = ReadU16(data, flagsOffset);
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(MessageImportance.Low, "{0}: {1} already marks {2} weak.", SwitchProperty, path, MissingVersion);
            return false;
        }
        if (RelocationsUseVersion(data, versionIndex))
        {
            Log.LogWarning(null, "EQVR002", null, path, 0, 0, 0, 0, "{0} in {1} is used by a relocation, so marking it weak would only move the failure to the first call; left as it is. Upgrade libstdc++ (GCC 13 or later) or set {2}=false to silence this.", MissingVersion, path, SwitchProperty);
            return false;
        }
        // Write a new file and rename it over the copy: a copy-local file may be a hard link into the package cache,
        // and a library mapped by a running process must not be rewritten in place.
        var temporary = path + ".eqvr-patch.tmp";
        File.Copy(path, temporary, overwrite: true);
        using (var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write))
        {
            stream.Position = flagsOffset;
            var value = (ushort)(flags | VerFlgWeak);
            stream.WriteByte((byte)value);
            stream.WriteByte((byte)(value >> 8));
        }
        // Keep the copied file's time stamp: the SDK's copy (SkipUnchangedFiles) then sees the patched copy as up to
        // date and leaves it, so incremental builds neither copy nor patch again.
        File.SetLastWriteTimeUtc(temporary, File.GetLastWriteTimeUtc(path));
        File.Replace(temporary, path, null);
        Log.LogMessage(MessageImportance.High, "{0}: marked {1} weak in {2} (this host's libstdc++ lacks it; set {0}=false to opt out).", SwitchProperty, MissingVersion, path);
        return true;
    }

    /// <summary>Whether <paramref name="data"/> marks its <see cref="MissingVersion"/> requirement weak; null when it has none.</summary>
    internal static bool? IsRequirementWeak(byte[] data)
    {
        var flagsOffset = FindRequirementFlags(data, MissingVersion, out _);
        return flagsOffset < 0 ? (bool?)null : (ReadU16(data, flagsOffset) & VerFlgWeak) != 0;
    }

    /// <summary>Offset of <c>vna_flags</c> of the libstdc++.so.6 / <paramref name="version"/> entry of <c>.gnu.version_r</c>, or -1.</summary>
    internal static int FindRequirementFlags(byte[] data, string version, out int versionIndex)
    {
        versionIndex = -1;
        foreach (var section in Sections(data, ShtGnuVerneed))
        {
            var strings = SectionOffset(data, (int)ReadU32(data, section + 40));
            var entry = (int)ReadU64(data, section + 24);
            var end = entry + (long)ReadU64(data, section + 32);
            while (entry >= 0 && entry < end)
            {
                var count = ReadU16(data, entry + 2);
                var file = ReadString(data, strings + (int)ReadU32(data, entry + 4));
                var aux = entry + (int)ReadU32(data, entry + 8);
                for (var i = 0; i < count; i++)
                {
                    if (file == "libstdc++.so.6" && ReadString(data, strings + (int)ReadU32(data, aux + 8)) == version)
                    {
                        versionIndex = ReadU16(data, aux + 6) & 0x7fff;
                        return aux + 4;
                    }
                    var nextAux = ReadU32(data, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                var next = ReadU32(data, entry + 12);
                if (next == 0) break;
                entry += (int)next;
            }
        }
        return -1;
    }

    /// <summary>Whether any relocation against the dynamic symbol table names a symbol bound to <paramref name="versionIndex"/>.</summary>
    internal static bool RelocationsUseVersion(byte[] data, int versionIndex)
    {
        var versym = -1;
        foreach (var section in Sections(data, ShtGnuVersym)) versym = (int)ReadU64(data, section + 24);
        if (versym < 0) throw new InvalidDataException("the library has no .gnu.version section, so the use of the version cannot be checked.");
        var dynsymIndex = -1;
        var header = SectionHeaders(data, out var count, out var size);
        for (var i = 0; i < count; i++) if (ReadU32(data, header + i * size + 4) == ShtDynsym) dynsymIndex = i;
        foreach (var type in new[] { ShtRela, ShtRel })
        {
            foreach (var section in Sections(data, type))
            {
                if (ReadU32(data, section + 40) != dynsymIndex) continue;
                var start = (int)ReadU64(data, section + 24);
                var length = (long)ReadU64(data, section + 32);
                var entrySize = (int)ReadU64(data, section + 56);
                if (entrySize <= 0) throw new InvalidDataException("a relocation section has no entry size.");
                for (var offset = start; offset + entrySize <= start + length; offset += entrySize)
                {
                    var symbol = (int)(ReadU64(data, offset + 8) >> 32);
                    if (symbol != 0 && (ReadU16(data, versym + 2 * symbol) & 0x7fff) == versionIndex) return true;
                }
            }
        }
        return false;
    }

    /// <summary>The version names a library defines (its <c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30.</summary>
    internal static HashSet<string> DefinedVersions(byte[] data)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var section in Sections(data, ShtGnuVerdef))
        {
            var strings = SectionOffset(data, (int)ReadU32(data, section + 40));
            var entry = (int)ReadU64(data, section + 24);
            var entries = (int)ReadU32(data, section + 44); // sh_info: the number of definitions
            for (var i = 0; i < entries; i++)
            {
                var aux = entry + (int)ReadU32(data, entry + 12);
                if (ReadU16(data, entry + 6) > 0) names.Add(ReadString(data, strings + (int)ReadU32(data, aux)));
                var next = ReadU32(data, entry + 16);
                if (next == 0) break;
                entry += (int)next;
            }
        }
        return names;
    }

    /// <summary>Offsets of the section headers of the given type in a 64-bit little-endian ELF file.</summary>
    private static List<int> Sections(byte[] data, uint type)
    {
        var header = SectionHeaders(data, out var count, out var size);
        var found = new List<int>();
        for (var i = 0; i < count; i++) if (ReadU32(data, header + i * size + 4) == type) found.Add(header + i * size);
        return found;
    }

    private static int SectionHeaders(byte[] data, out int count, out int size)
    {
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            throw new InvalidDataException("it is not an ELF file.");
        if (data[4] != 2 || data[5] != 1) throw new InvalidDataException("it is not a 64-bit little-endian ELF file.");
        size = ReadU16(data, 0x3A);
        count = ReadU16(data, 0x3C);
        if (count == 0 || size < 64) throw new InvalidDataException("it has no section headers.");
        return (int)ReadU64(data, 0x28);
    }

    private static int SectionOffset(byte[] data, int index)
    {
        var header = SectionHeaders(data, out var count, out var size);
        if (index >= count) throw new InvalidDataException("a section links to a section that does not exist.");
        return (int)ReadU64(data, header + index * size + 24);
    }

    private static void Check(byte[] data, long offset, int length)
    {
        if (offset < 0 || offset + length > data.Length) throw new InvalidDataException("it is truncated or malformed (an offset points past its end).");
    }

    private static ushort ReadU16(byte[] data, int offset)
    {
        Check(data, offset, 2);
        return (ushort)(data[offset] | data[offset + 1] << 8);
    }

    private static uint ReadU32(byte[] data, int offset)
    {
        Check(data, offset, 4);
        return (uint)(data[offset] | data[offset + 1] << 8 | data[offset + 2] << 16 | data[offset + 3] << 24);
    }

    private static ulong ReadU64(byte[] data, int offset) => ReadU32(data, offset) | (ulong)ReadU32(data, offset + 4) << 32;

    private static string ReadString(byte[] data, int offset)
    {
        Check(data, offset, 1);
        var end = Array.IndexOf(data, (byte)0, offset);
        if (end < 0) throw new InvalidDataException("a name runs past the end of the file.");
        return System.Text.Encoding.ASCII.GetString(data, offset, end - offset);
    }

    private static bool IsUnder(string path, string folder)
    {
        if (string.IsNullOrEmpty(folder)) return false;
        var root = Path.GetFullPath(folder).TrimEnd('/', '\\') + Path.DirectorySeparatorChar;
        return path.StartsWith(root, StringComparison.Ordinal);
    }
}
