using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// Opens one file of an image chain as raw disks are opened: a regular file or a block device, looked at before
/// it is opened (a FIFO would block), then locked as <see cref="DiskLock"/> locks raw images: exclusively when
/// written, shared when only read (every backing file).
/// </summary>
internal static class ImageFile
{
    private const int EACCES = 13, EROFS = 30;

    /// <param name="role">How the file is named in errors: the path, or "base.img (backing file of top.qcow2)".</param>
    public static HostFile Open(string path, bool readOnly, string role)
    {
        int errno = FileStatus.Of(path, out var status);
        if (errno != 0) throw new DiskImageError($"{role}: {Reason(errno)}");
        if (status.Kind is not (FileKind.Regular or FileKind.BlockDevice))
            throw new DiskImageError($"{role}: is {status.KindText}; a disk image must be a regular file or a block device");
        int fd = Libc.Open(path, (readOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            string fix = errno == EROFS || (errno == EACCES && !readOnly) ? " (open it read-only: ,ro)" : "";
            throw new DiskImageError($"{role}: cannot open: {Reason(errno)}{fix}");
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            DiskLock.Take(file, path, readOnly);
            return new HostFile(file);
        }
        catch (DeviceConfigException)
        {
            string holder = DiskHolder.Describe(file) ?? "another process";
            file.Dispose();
            throw new DiskImageError(readOnly
                ? $"{role}: {holder} has it open writable; stop it first"
                : $"{role}: {holder} is using it; a writable image can be in one VM only");
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static string Reason(int errno) => FileStatus.IsMissing(errno) ? "no such file" : Libc.ErrorText(errno).ToLowerInvariant();
}
