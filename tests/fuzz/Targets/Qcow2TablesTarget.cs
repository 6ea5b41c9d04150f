using Glue.Core.Interop;
using Glue.Devices.Block.Qcow2;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A hostile qcow2 image served as a disk by <see cref="Qcow2Image"/>: the walks of the L1 and L2 tables on reads,
/// and, when it opens writable, of the refcount table and blocks on cluster allocation, discard, write-zeroes and
/// flush. The first input byte picks read-only or writable, the rest is the file; the format counts as probed, so a
/// backing file named in it is refused and never opened. A refusal is a one-line <see cref="DiskImageError"/>, a bad
/// table a negative errno; a finding is any other exception, a write that succeeded and reads back otherwise, or
/// more allocation than a few requests' worth.
/// </summary>
internal static class Qcow2TablesTarget
{
    private const int RequestBytes = 64 << 10, Requests = 8;
    private const long AllocationLimit = 64 << 20;
    private static readonly ScratchFile Image = new("qcow2-tables");
    private static readonly byte[] Data = GC.AllocateArray<byte>(RequestBytes, pinned: true);
    private static readonly byte[] ReadBack = GC.AllocateArray<byte>(RequestBytes, pinned: true);

    public static void Run(byte[] data)
    {
        bool readOnly = data.Length == 0 || (data[0] & 1) == 0;
        string path = Image.Write(data.Length > 0 ? data.AsSpan(1) : []);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        Qcow2Image image;
        try
        {
            image = Qcow2Image.Open(path, readOnly, formatNamed: false);
        }
        catch (DiskImageError e)
        {
            if (e.Message.Contains('\n')) throw new FuzzInvariantException($"a refusal of more than one line: {e.Message}");
            return;
        }
        using (image)
        {
            // Requests spread over the whole disk, so that each meets other L1 and L2 entries.
            for (int i = 0; i < Requests && image.Length > 0; i++)
            {
                long offset = image.Length / Requests * i & ~511L;
                int length = (int)Math.Min(RequestBytes, image.Length - offset);
                Transfer(image, offset, length, write: false);
                if (readOnly) continue;
                Data.AsSpan(0, length).Fill((byte)(i + 1));
                if (Transfer(image, offset, length, write: true) == 0 && Transfer(image, offset, length, write: false) == 0
                    && !ReadBack.AsSpan(0, length).SequenceEqual(Data.AsSpan(0, length)))
                    throw new FuzzInvariantException($"a write of {length} bytes at {offset} succeeded and read back otherwise");
                Errno(image.Discard(offset, length / 2), "discard");
                Errno(image.WriteZeroes(offset + length / 2, length / 2, unmap: i % 2 == 0), "write-zeroes");
            }
            Errno(image.Flush(), "flush");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        if (allocated > AllocationLimit) throw new FuzzInvariantException($"serving a {data.Length}-byte image allocated {allocated} bytes");
    }

    private static unsafe int Transfer(Qcow2Image image, long offset, int length, bool write)
    {
        fixed (byte* p = write ? Data : ReadBack)
        {
            ReadOnlySpan<Libc.IoVec> one = [new Libc.IoVec { iov_base = p, iov_len = (nuint)length }];
            return Errno(write ? image.Write(one, offset) : image.Read(one, offset), write ? "write" : "read");
        }
    }

    /// <summary>A request's result must be 0 or a negative errno.</summary>
    private static int Errno(int result, string request) =>
        result <= 0 ? result : throw new FuzzInvariantException($"a {request} returned {result}, neither 0 nor a negative errno");
}
