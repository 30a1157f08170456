namespace EquivarianceRegularizer.Jit;

/// <summary>One entry of a zip central directory, with its sizes resolved (zip64 included) and its data located.</summary>
/// <param name="Name">The entry's full name, e.g. "model/code/__torch__.py".</param>
/// <param name="Method">Compression method: 0 stored, 8 deflated.</param>
/// <param name="Crc">The CRC-32 recorded for the uncompressed content.</param>
/// <param name="CompressedSize">Bytes of data in the file.</param>
/// <param name="UncompressedSize">Bytes of content once inflated.</param>
/// <param name="DataOffset">Where the entry's data starts in the file.</param>
internal sealed record ZipEntryRecord(string Name, int Method, uint Crc, long CompressedSize, long UncompressedSize, long DataOffset);
