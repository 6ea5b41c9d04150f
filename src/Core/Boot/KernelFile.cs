using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Boot;

/// <summary>
/// Reads a kernel or initrd whole, after checking what it is: a regular file (a FIFO would wait for a writer,
/// /dev/zero would never end), not empty, and no larger than the guest RAM it must fit in (checked before a
/// byte is read, so a 20 GiB sparse file is refused at once). The file is opened O_NONBLOCK and checked again
/// by fstat, so a path swapped for a FIFO between the two looks cannot hang Glue either.
/// </summary>
public static class KernelFile
{
    /// <summary>The largest file Glue reads into one buffer (.NET's Array.MaxLength for bytes).</summary>
    public static readonly long MaxBytes = Array.MaxLength;

    /// <param name="what">"kernel" or "initrd", for the messages.</param>
    /// <param name="option">The option that named the file ("-k"), for the fix the message suggests.</param>
    /// <param name="limit">The guest RAM the file must fit in, in bytes.</param>
    public static byte[] Read(string path, string what, string option, ulong limit)
    {
        if (path.Length == 0) throw new BootException($"{what}: the path is empty; give {option} FILE");
        int errno = FileStatus.Of(path, out var status);
        if (errno != 0) throw new BootException($"{what} {path}: {Reason(errno)}");
        Check(path, what, status, limit);

        int fd = Libc.Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0) throw new BootException($"{what} {path}: {Reason(System.Runtime.InteropServices.Marshal.GetLastPInvokeError())}");
        using var file = new SafeFileHandle(fd, ownsHandle: true);
        errno = FileStatus.Of(file, out status);
        if (errno != 0) throw new BootException($"{what} {path}: {Reason(errno)}");
        Check(path, what, status, limit);

        var bytes = new byte[status.Size];
        int done = 0;
        while (done < bytes.Length)
        {
            int read;
            try
            {
                read = RandomAccess.Read(file, bytes.AsSpan(done), done);
            }
            catch (IOException e)
            {
                throw new BootException($"{what} {path}: cannot read it: {e.Message}");
            }
            if (read == 0) throw new BootException($"{what} {path}: it shrank from {status.Size} to {done} bytes while Glue read it");
            done += read;
        }
        return bytes;
    }

    private static void Check(string path, string what, FileStatus status, ulong limit)
    {
        if (status.Kind != FileKind.Regular) throw new BootException($"{what} {path}: is {status.KindText}; it must be a regular file");
        if (status.Size == 0) throw new BootException($"{what} {path}: the file is empty");
        if ((ulong)status.Size > limit)
            throw new BootException($"{what} {path}: the file is {Size(status.Size)}, more than the guest's {Size((long)limit)} of RAM; give a larger -m or a smaller {what}");
        if (status.Size > MaxBytes) throw new BootException($"{what} {path}: the file is {Size(status.Size)}; Glue loads at most {Size(MaxBytes)}");
    }

    private static string Reason(int errno) => FileStatus.IsMissing(errno) ? "no such file" : Libc.ErrorText(errno).ToLowerInvariant();

    /// <summary>A size for a message: whole GiB, MiB or KiB where exact enough, else bytes.</summary>
    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
