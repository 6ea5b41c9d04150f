using System.Buffers;
using System.IO.Compression;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// A compressed cluster (qcow2.txt "Compressed Clusters Descriptor"): raw deflate data (zlib, compression type
/// 0) starting at an unaligned host offset and running for a count of 512-byte sectors. Read only: a write to
/// such a cluster copies it up to a normal one.
/// </summary>
internal static class CompressedCluster
{
    private const int SectorSize = 512, EIO = 5;

    /// <summary>The host byte range the descriptor covers (the refcounts it holds are those of the clusters it touches).</summary>
    public static (long Offset, long Bytes) Extent(ulong entry, int clusterBits)
    {
        int sizeShift = 62 - (clusterBits - 8);
        ulong offset = entry & ((1UL << sizeShift) - 1);
        ulong sectors = ((entry >> sizeShift) & ((1UL << (clusterBits - 8)) - 1)) + 1;
        return ((long)offset, (long)(sectors * SectorSize - (offset & (SectorSize - 1))));
    }

    /// <summary>Inflates the cluster into <paramref name="cluster"/> (one whole cluster). 0 or a negative errno.</summary>
    public static int Read(HostFile file, ulong entry, int clusterBits, Span<byte> cluster)
    {
        var (offset, bytes) = Extent(entry, clusterBits);
        byte[] input = ArrayPool<byte>.Shared.Rent((int)bytes);
        try
        {
            int error = file.Read(input.AsSpan(0, (int)bytes), offset);
            if (error != 0) return error;
            using var deflate = new DeflateStream(new MemoryStream(input, 0, (int)bytes), CompressionMode.Decompress);
            return deflate.ReadAtLeast(cluster, cluster.Length, throwOnEndOfStream: false) == cluster.Length ? 0 : -EIO;
        }
        catch (InvalidDataException)
        {
            return -EIO;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
