using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;
using static Glue.Devices.Block.DiskLibc;

namespace Glue.Devices.Block;

/// <summary>
/// A raw image: the guest's disk is the file's bytes. One preadv/pwritev per request over all its buffers (again
/// for the rest after a short transfer); discard punches a hole, write-zeroes zeroes the range with fallocate
/// (punching it when unmap allows), writing zeroes where the file system has neither; flush is fdatasync.
///
/// With <c>cache=none</c> the file is open O_DIRECT: a request whose buffers meet the file's
/// <see cref="DirectAlignment"/> goes straight between guest memory and the disk; one whose buffers do not goes
/// through aligned bounce buffers from a pool, 1 MiB at a time. The offsets and lengths the guest asks for are
/// already aligned: the device advertises the alignment as its block size.
/// </summary>
public sealed unsafe class RawDiskImage : IDiskImage
{
    private const int BounceBytes = 1 << 20;
    private const int ZeroBytes = 64 << 10;

    private readonly SafeFileHandle _file;
    private readonly DirectAlignment? _direct;
    private readonly AlignedBufferPool? _bounce;
    private bool _readsNoWait = true;

    /// <param name="file">Open for reading (and writing unless <paramref name="readOnly"/>), O_DIRECT when <paramref name="direct"/> is given; the image owns it.</param>
    internal RawDiskImage(SafeFileHandle file, long length, bool readOnly, DirectAlignment? direct)
    {
        _file = file;
        Length = length;
        ReadOnly = readOnly;
        _direct = direct;
        if (direct is { } alignment) _bounce = new AlignedBufferPool(BounceBytes, Math.Max(alignment.Memory, alignment.Offset));
    }

    public long Length { get; }

    public bool ReadOnly { get; }

    /// <summary>The block size the guest should use: O_DIRECT's offset alignment, or a sector through the page cache.</summary>
    public uint BlockSize => _direct?.Offset ?? DirectAlignment.Sector;

    public int Read(ReadOnlySpan<Libc.IoVec> buffers, long offset) =>
        NeedsBounce(buffers, offset) ? Bounced(buffers, offset, write: false) : Transfer(buffers, offset, write: false);

    /// <summary>The read as far as the page cache holds it (<see cref="DiskLibc.ReadCached"/>); nothing with O_DIRECT.</summary>
    public long ReadCached(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        if (_direct is not null) return 0;
        using var fd = new FdReference(_file);
        return DiskLibc.ReadCached(fd.Value, buffers, offset, ref _readsNoWait);
    }

    public int Write(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        if (ReadOnly) return -EROFS;
        return NeedsBounce(buffers, offset) ? Bounced(buffers, offset, write: true) : Transfer(buffers, offset, write: true);
    }

    /// <summary>A hole, where the file system can punch one; elsewhere nothing, which discard allows.</summary>
    public int Discard(long offset, long length)
    {
        if (ReadOnly) return -EROFS;
        int result = Allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
        return result is -EOPNOTSUPP or -ENOSYS ? 0 : result;
    }

    /// <summary>A punched hole reads as zeroes; without unmap (or where holes cannot be punched) ZERO_RANGE, then plain writes.</summary>
    public int WriteZeroes(long offset, long length, bool unmap)
    {
        if (ReadOnly) return -EROFS;
        if (unmap && Allocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return 0;
        int result = Allocate(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
        return result is -EOPNOTSUPP or -ENOSYS or -EINVAL ? WriteZeroBytes(offset, length) : result;
    }

    public int Flush() => ReadOnly ? 0 : Sync(data: true);

    // ---- Transfers.

    /// <summary>
    /// preadv/pwritev over <paramref name="buffers"/> (IOV_MAX at a time), continuing after short transfers and
    /// EINTR. A read that meets the end of the file is EIO: the file shrank under the guest.
    /// </summary>
    private int Transfer(ReadOnlySpan<Libc.IoVec> buffers, long offset, bool write)
    {
        Span<Libc.IoVec> pending = stackalloc Libc.IoVec[Math.Min(buffers.Length, IOV_MAX)];
        using var fd = new FdReference(_file);
        int next = 0, start = 0, count = 0;
        while (true)
        {
            while (count > 0 && pending[start].iov_len == 0)
            {
                start++;
                count--;
            }
            if (count == 0)
            {
                if (next == buffers.Length) return 0;
                count = Math.Min(buffers.Length - next, pending.Length);
                buffers.Slice(next, count).CopyTo(pending);
                next += count;
                start = 0;
                continue;
            }
            nint done;
            fixed (Libc.IoVec* iov = &pending[start])
                done = write ? Pwritev(fd.Value, iov, count, offset) : Preadv(fd.Value, iov, count, offset);
            if (done < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Libc.EINTR) continue;
                return -errno;
            }
            if (done == 0) return -EIO;
            offset += done;
            while (done > 0)
            {
                ref var buffer = ref pending[start];
                if ((nuint)done < buffer.iov_len)
                {
                    buffer.iov_base = (byte*)buffer.iov_base + done;
                    buffer.iov_len -= (nuint)done;
                    break;
                }
                done -= (nint)buffer.iov_len;
                start++;
                count--;
            }
        }
    }

    /// <summary>True when O_DIRECT would refuse these buffers: an address or a length off the file's alignment.</summary>
    private bool NeedsBounce(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        if (_direct is not { } alignment) return false;
        foreach (var buffer in buffers)
        {
            if ((nuint)buffer.iov_base % alignment.Memory != 0 || buffer.iov_len % alignment.Offset != 0) return true;
        }
        return false;
    }

    /// <summary>The transfer through a bounce buffer, <see cref="BounceBytes"/> at a time.</summary>
    private int Bounced(ReadOnlySpan<Libc.IoVec> buffers, long offset, bool write)
    {
        ulong total = 0;
        foreach (var buffer in buffers) total += buffer.iov_len;
        uint align = _direct!.Value.Offset;
        if (offset % align != 0 || total % align != 0) return -EINVAL;
        byte* bounce = _bounce!.Rent();
        try
        {
            var cursor = new IoVecCursor(buffers);
            while (total > 0)
            {
                int chunk = (int)Math.Min(total, (ulong)BounceBytes);
                var one = new Libc.IoVec { iov_base = bounce, iov_len = (nuint)chunk };
                if (write) cursor.CopyTo(bounce, chunk);
                int result = Transfer(new ReadOnlySpan<Libc.IoVec>(&one, 1), offset, write);
                if (result != 0) return result;
                if (!write) cursor.CopyFrom(bounce, chunk);
                offset += chunk;
                total -= (ulong)chunk;
            }
            return 0;
        }
        finally
        {
            _bounce.Return(bounce);
        }
    }

    /// <summary>Plain writes from a buffer of zeroes (aligned, so O_DIRECT takes it).</summary>
    private int WriteZeroBytes(long offset, long length)
    {
        if (_direct is { } alignment && (offset % alignment.Offset != 0 || length % alignment.Offset != 0)) return -EINVAL;
        while (length > 0)
        {
            var one = new Libc.IoVec { iov_base = (void*)Zeroes, iov_len = (nuint)Math.Min(length, ZeroBytes) };
            int result = Transfer(new ReadOnlySpan<Libc.IoVec>(&one, 1), offset, write: true);
            if (result != 0) return result;
            offset += (long)one.iov_len;
            length -= (long)one.iov_len;
        }
        return 0;
    }

    /// <summary>ZeroBytes of zeroes, page-aligned, shared by every image for the life of the process.</summary>
    private static readonly nint Zeroes = AllocateZeroes();

    private static nint AllocateZeroes()
    {
        void* buffer = NativeMemory.AlignedAlloc(ZeroBytes, 4096);
        NativeMemory.Clear(buffer, ZeroBytes);
        return (nint)buffer;
    }

    private int Allocate(int mode, long offset, long length)
    {
        using var fd = new FdReference(_file);
        int result;
        while ((result = Result(Fallocate(fd.Value, mode, offset, length))) == -Libc.EINTR) { }
        return result;
    }

    private int Sync(bool data)
    {
        using var fd = new FdReference(_file);
        int result;
        while ((result = Result(data ? Fdatasync(fd.Value) : Fsync(fd.Value))) == -Libc.EINTR) { }
        return result;
    }

    /// <summary>0, or the negative errno of a call that returned -1.</summary>
    private static int Result(int returned) => returned == 0 ? 0 : -Marshal.GetLastPInvokeError();

    /// <summary>fsyncs what the guest wrote (a read-only image has nothing to sync) and closes the file.</summary>
    public void Dispose()
    {
        if (_file.IsClosed) return;
        if (!ReadOnly) Sync(data: false);
        _file.Dispose();
        _bounce?.Dispose();
    }

    /// <summary>The fd for one call, its handle referenced so a concurrent Dispose cannot close it (and its number be reused) meanwhile.</summary>
    private readonly ref struct FdReference
    {
        private readonly SafeFileHandle _file;

        public FdReference(SafeFileHandle file)
        {
            bool referenced = false;
            file.DangerousAddRef(ref referenced);
            _file = file;
            Value = (int)file.DangerousGetHandle();
        }

        public int Value { get; }

        public void Dispose() => _file.DangerousRelease();
    }
}
