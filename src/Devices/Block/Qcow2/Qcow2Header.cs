using System.Buffers.Binary;
using System.Text;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The qcow2 header and its extensions (QEMU docs/interop/qcow2.txt, "Header" and "Header extensions"), read
/// from the first cluster and checked before anything else of the image is read: every size and offset that
/// later code trusts is bounded here, and whatever Glue does not implement is refused by name.
/// </summary>
internal sealed class Qcow2Header
{
    public const uint QCOW_MAGIC = 0x514649fb; // "QFI\xfb"
    public const int V2HeaderLength = 72, V3HeaderLength = 104;
    public const int MinClusterBits = 9, MaxClusterBits = 21; // QEMU's limit: 2 MiB clusters
    public const int MaxBackingNameBytes = 1023;
    public const long MaxL1Bytes = 32 << 20, MaxRefcountTableBytes = 8 << 20; // QEMU's implementation limits (qcow2.txt)

    // "incompatible_features", "compatible_features", "autoclear_features" (header bytes 72-95).
    public const ulong QCOW2_INCOMPAT_DIRTY = 1 << 0, QCOW2_INCOMPAT_CORRUPT = 1 << 1, QCOW2_INCOMPAT_DATA_FILE = 1 << 2,
        QCOW2_INCOMPAT_COMPRESSION = 1 << 3, QCOW2_INCOMPAT_EXTL2 = 1 << 4;
    public const ulong QCOW2_COMPAT_LAZY_REFCOUNTS = 1 << 0;

    // "Header extensions": their type words.
    private const uint QCOW2_EXT_MAGIC_END = 0, QCOW2_EXT_MAGIC_BACKING_FORMAT = 0xe2792aca, QCOW2_EXT_MAGIC_FEATURE_TABLE = 0x6803f857;
    private const int FeatureNameEntryBytes = 48, FeatureNameBytes = 46;

    // Header field offsets this code rewrites.
    public const int RefcountTableOffsetField = 48, IncompatibleFeaturesField = 72, AutoclearFeaturesField = 88;

    public required int Version { get; init; }
    public required int ClusterBits { get; init; }
    public required long Size { get; init; }
    public required int L1Size { get; init; }
    public required long L1TableOffset { get; init; }
    public required long RefcountTableOffset { get; init; }
    public required int RefcountTableClusters { get; init; }
    public required int Snapshots { get; init; }
    public required ulong IncompatibleFeatures { get; init; }
    public required ulong CompatibleFeatures { get; init; }
    public required ulong AutoclearFeatures { get; init; }
    public required int RefcountOrder { get; init; }
    public string? BackingFile { get; init; }
    public string? BackingFormat { get; init; }

    public long ClusterSize => 1L << ClusterBits;
    public bool Dirty => (IncompatibleFeatures & QCOW2_INCOMPAT_DIRTY) != 0;
    public bool Corrupt => (IncompatibleFeatures & QCOW2_INCOMPAT_CORRUPT) != 0;
    public bool LazyRefcounts => (CompatibleFeatures & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;

    /// <summary>True when the file starts with the qcow2 magic (format probing).</summary>
    public static bool HasMagic(ReadOnlySpan<byte> start) => start.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(start) == QCOW_MAGIC;

    /// <summary>Reads and checks the header of <paramref name="file"/>; throws <see cref="DiskImageError"/> for anything refused.</summary>
    public static Qcow2Header Read(HostFile file, string path)
    {
        long fileBytes = file.Length;
        Span<byte> fixedPart = stackalloc byte[V3HeaderLength];
        fixedPart.Clear();
        if (fileBytes < V2HeaderLength || file.Read(fixedPart, 0) != 0 || !HasMagic(fixedPart))
            throw new DiskImageError($"{path}: is not a qcow2 image (no qcow2 header)");
        uint version = Be32(fixedPart, 4);
        if (version is not (2 or 3)) throw new DiskImageError($"{path}: is qcow2 version {version}; Glue reads versions 2 and 3");
        uint clusterBits = Be32(fixedPart, 20);
        if (clusterBits is < MinClusterBits or > MaxClusterBits)
            throw Bad(path, $"its cluster size is 2^{clusterBits} bytes (qcow2 allows 512 bytes to 2 MiB)");
        int clusterSize = 1 << (int)clusterBits;
        if (fileBytes < clusterSize) throw Bad(path, "the file is shorter than its first cluster");

        var header = new byte[clusterSize];
        if (file.Read(header, 0) != 0) throw Bad(path, "its first cluster cannot be read");
        int headerLength = version == 2 ? V2HeaderLength : (int)Math.Min(Be32(header, 100), int.MaxValue);
        if (version == 3 && (headerLength < V3HeaderLength || headerLength % 8 != 0 || headerLength > clusterSize))
            throw Bad(path, $"its header length, {headerLength}, is not a multiple of 8 between {V3HeaderLength} and the cluster size");

        ulong incompatible = version == 3 ? Be64(header, 72) : 0;
        ulong compatible = version == 3 ? Be64(header, 80) : 0;
        ulong autoclear = version == 3 ? Be64(header, 88) : 0;
        uint refcountOrder = version == 3 ? Be32(header, 96) : 4;
        if (refcountOrder > 6) throw Bad(path, $"its refcount_order is {refcountOrder} (at most 6)");

        var extensions = Extensions.Read(header, headerLength, Be64(header, 8), path);
        CheckFeatures(path, incompatible, extensions.FeatureNames, headerLength > V3HeaderLength ? header[104] : (byte)0);
        uint cryptMethod = Be32(header, 32);
        if (cryptMethod != 0)
            throw new DiskImageError($"{path}: is encrypted ({(cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : $"method {cryptMethod}")}); Glue does not open encrypted images (decrypt it with qemu-img convert)");

        long size = (long)Math.Min(Be64(header, 24), long.MaxValue);
        uint l1Size = Be32(header, 36);
        long l1Offset = (long)Math.Min(Be64(header, 40), long.MaxValue);
        long refcountTableOffset = (long)Math.Min(Be64(header, 48), long.MaxValue);
        uint refcountTableClusters = Be32(header, 56);
        long clusterMask = clusterSize - 1;
        long l2Coverage = (long)clusterSize << ((int)clusterBits - 3);   // bytes of guest disk one L2 table maps
        if ((long)l1Size * 8 > MaxL1Bytes) throw Bad(path, $"its L1 table has {l1Size} entries (Glue, like QEMU, allows {MaxL1Bytes >> 3})");
        if (size > (long)l1Size * l2Coverage) throw Bad(path, $"its L1 table ({l1Size} entries) is too small for its size ({size} bytes)");
        if ((l1Offset & clusterMask) != 0 || (l1Size > 0 && (l1Offset == 0 || l1Offset > fileBytes - (long)l1Size * 8)))
            throw Bad(path, $"its L1 table offset {l1Offset} is not a cluster boundary inside the file");
        if (refcountTableClusters == 0 || (long)refcountTableClusters * clusterSize > MaxRefcountTableBytes)
            throw Bad(path, $"its refcount table is {refcountTableClusters} clusters (1 to {MaxRefcountTableBytes} bytes)");
        if ((refcountTableOffset & clusterMask) != 0 || refcountTableOffset == 0 || refcountTableOffset > fileBytes - (long)refcountTableClusters * clusterSize)
            throw Bad(path, $"its refcount table offset {refcountTableOffset} is not a cluster boundary inside the file");

        return new Qcow2Header
        {
            Version = (int)version,
            ClusterBits = (int)clusterBits,
            Size = size,
            L1Size = (int)l1Size,
            L1TableOffset = l1Offset,
            RefcountTableOffset = refcountTableOffset,
            RefcountTableClusters = (int)refcountTableClusters,
            Snapshots = (int)Math.Min(Be32(header, 60), int.MaxValue),
            IncompatibleFeatures = incompatible,
            CompatibleFeatures = compatible,
            AutoclearFeatures = autoclear,
            RefcountOrder = (int)refcountOrder,
            BackingFile = ReadBackingName(file, header, path),
            BackingFormat = extensions.BackingFormat,
        };
    }

    /// <summary>Refuses every incompatible feature Glue does not implement, by the name the image's feature table gives it.</summary>
    private static void CheckFeatures(string path, ulong incompatible, Dictionary<int, string> names, byte compressionType)
    {
        if ((incompatible & QCOW2_INCOMPAT_DATA_FILE) != 0)
            throw new DiskImageError($"{path}: keeps its data in an external data file, which Glue does not support (qemu-img convert -O qcow2 makes a self-contained copy)");
        if ((incompatible & QCOW2_INCOMPAT_EXTL2) != 0)
            throw new DiskImageError($"{path}: uses extended L2 entries (subclusters), which Glue does not support (qemu-img convert -O qcow2 makes a copy without them)");
        if ((incompatible & QCOW2_INCOMPAT_COMPRESSION) != 0 || compressionType != 0)
            throw new DiskImageError($"{path}: its compressed clusters use compression type {compressionType} ({(compressionType == 1 ? "zstd" : "unknown")}); Glue reads zlib only (qemu-img convert -O qcow2 makes a copy)");
        ulong unknown = incompatible & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT);
        if (unknown == 0) return;
        var named = new List<string>();
        for (int bit = 0; bit < 64; bit++)
            if ((unknown & (1UL << bit)) != 0) named.Add(names.TryGetValue(bit, out var name) ? $"'{name}' (bit {bit})" : $"bit {bit}");
        throw new DiskImageError($"{path}: uses incompatible qcow2 feature{(named.Count > 1 ? "s" : "")} {string.Join(", ", named)}, which Glue does not support");
    }

    /// <summary>The backing file name (backing_file_offset, backing_file_size), or null; at most 1,023 bytes of UTF-8 inside the file.</summary>
    private static string? ReadBackingName(HostFile file, byte[] header, string path)
    {
        ulong offset = Be64(header, 8);
        if (offset == 0) return null;
        uint length = Be32(header, 16);
        if (length == 0 || length > MaxBackingNameBytes)
            throw Bad(path, $"its backing file name is {length} bytes (qcow2 allows 1 to {MaxBackingNameBytes})");
        var name = new byte[length];
        if (offset > (ulong)long.MaxValue || file.ReadExisting(name, (long)offset) != 0) throw Bad(path, "its backing file name lies past the end of the file");
        // A control byte (a NUL, a newline, an escape) is no file name anyone means, and would break the one-line messages that name it.
        if (name.AsSpan().IndexOfAnyInRange((byte)0, (byte)0x1f) >= 0 || name.AsSpan().IndexOf((byte)0x7f) >= 0)
            throw Bad(path, "its backing file name holds a control byte");
        return Encoding.UTF8.GetString(name);
    }

    /// <summary>The header extensions Glue reads: the backing file format and the feature name table.</summary>
    private sealed record Extensions(string? BackingFormat, Dictionary<int, string> FeatureNames)
    {
        public static Extensions Read(byte[] header, int start, ulong backingNameOffset, string path)
        {
            // The extensions end at the backing file name when it sits in the first cluster.
            int end = backingNameOffset > (ulong)start && backingNameOffset < (ulong)header.Length ? (int)backingNameOffset : header.Length;
            string? backingFormat = null;
            var names = new Dictionary<int, string>();
            for (int at = start; at <= end - 8;)
            {
                uint type = Be32(header, at);
                uint length = Be32(header, at + 4);
                if (type == QCOW2_EXT_MAGIC_END) break;
                if (length > (uint)(end - at - 8)) throw Bad(path, $"its header extension 0x{type:x8} runs past the first cluster");
                var data = header.AsSpan(at + 8, (int)length);
                if (type == QCOW2_EXT_MAGIC_BACKING_FORMAT) backingFormat = Printable(Encoding.UTF8.GetString(data));
                else if (type == QCOW2_EXT_MAGIC_FEATURE_TABLE) ReadFeatureNames(data, names);
                at += 8 + (int)((length + 7) & ~7u);
            }
            return new Extensions(backingFormat, names);
        }

        /// <summary>"Feature name table": 48-byte entries of type, bit and a zero-padded name; only incompatible features (type 0) are kept.</summary>
        private static void ReadFeatureNames(ReadOnlySpan<byte> table, Dictionary<int, string> names)
        {
            for (; table.Length >= FeatureNameEntryBytes; table = table[FeatureNameEntryBytes..])
            {
                if (table[0] != 0 || table[1] > 63) continue;
                var name = table.Slice(2, FeatureNameBytes);
                int nul = name.IndexOf((byte)0);
                names[table[1]] = Printable(Encoding.ASCII.GetString(nul >= 0 ? name[..nul] : name));
            }
        }
    }

    /// <summary>A name from the image as an error message may show it: control characters become '?', so the message stays one line.</summary>
    private static string Printable(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (int i = 0; i < span.Length; i++) span[i] = char.IsControl(source[i]) ? '?' : source[i];
    });

    private static DiskImageError Bad(string path, string reason) => new($"{path}: is not a valid qcow2 image: {reason}");

    private static uint Be32(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt32BigEndian(data[at..]);

    private static ulong Be64(ReadOnlySpan<byte> data, int at) => BinaryPrimitives.ReadUInt64BigEndian(data[at..]);
}
