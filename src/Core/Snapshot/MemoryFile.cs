using Glue.Core.Memory;
using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Snapshot;

/// <summary>
/// Guest RAM in a snapshot: the regions one after another, as a sparse file: pages that are all zero (RAM the guest
/// never touched) are holes, so the file takes on disk what the guest used. A restore maps it copy-on-write.
/// </summary>
public static class MemoryFile
{
    private const int PageSize = 4096;

    // Scanned a chunk at a time; a run of non-zero pages is written with one pwrite.
    private const int ChunkSize = 1 << 20;

    public static unsafe void Write(GuestMemory memory, SafeFileHandle file)
    {
        RandomAccess.SetLength(file, (long)memory.Size);
        long fileOffset = 0;
        foreach (var region in memory.Regions)
        {
            for (ulong at = 0; at < region.Size; at += ChunkSize)
            {
                int length = (int)Math.Min(ChunkSize, region.Size - at);
                var chunk = new ReadOnlySpan<byte>((byte*)region.HostAddress + at, length);
                WriteNonZeroPages(file, chunk, fileOffset + (long)at);
            }
            fileOffset += (long)region.Size;
        }
    }

    private static void WriteNonZeroPages(SafeFileHandle file, ReadOnlySpan<byte> chunk, long offset)
    {
        int runStart = -1;
        for (int page = 0; page <= chunk.Length; page += PageSize)
        {
            bool data = page < chunk.Length && chunk.Slice(page, Math.Min(PageSize, chunk.Length - page)).ContainsAnyExcept((byte)0);
            if (data && runStart < 0) runStart = page;
            else if (!data && runStart >= 0)
            {
                RandomAccess.Write(file, chunk[runStart..page], offset + runStart);
                runStart = -1;
            }
        }
    }

    /// <summary>Maps the memory file as the regions <see cref="MemoryLayout.RamRanges"/> gives for its size.</summary>
    public static GuestMemory Map(SafeFileHandle file, ulong memoryBytes)
    {
        var regions = new List<GuestRegion>();
        try
        {
            ulong offset = 0;
            foreach (var (start, size) in MemoryLayout.RamRanges(memoryBytes))
            {
                regions.Add(GuestRegion.CopyOnWrite(start, size, file, offset));
                offset += size;
            }
            return new GuestMemory(regions);
        }
        catch
        {
            foreach (var region in regions) region.Dispose();
            throw;
        }
    }
}
