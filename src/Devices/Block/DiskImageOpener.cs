using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block;

/// <summary>
/// Opens the image a `--disk` names. A disk is a regular file or a block device, looked at before it is opened (a
/// FIFO would wait for a writer) and again once open, non-blocking; then locked (<see cref="DiskLock"/>). Its format
/// is the one named with `format=`, else probed: the qcow2 magic at offset 0 makes it qcow2, anything else raw. A
/// probed qcow2 image is opened as one that must not open a backing file (a guest that writes a qcow2 header into a
/// raw disk must not make the host read another host file on the next boot).
/// </summary>
internal static class DiskImageOpener
{
    /// <summary>QCOW_MAGIC (qcow2 spec, "Header"): 'Q', 'F', 'I', 0xfb, big-endian at offset 0.</summary>
    private static ReadOnlySpan<byte> Qcow2Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xfb];

    private const int EACCES = 13, EROFS = 30;

    /// <summary>The image, and the block size its device should offer.</summary>
    public static (IDiskImage Image, uint BlockSize) Open(DiskSpec spec)
    {
        int errno = FileStatus.Of(spec.Path, out var status);
        if (errno != 0) throw new DeviceConfigException($"--disk {spec.Path}: {FileStatus.Reason(errno)}");
        CheckKind(spec.Path, status);
        var file = OpenFile(spec);
        try
        {
            if (FileStatus.Of(file, out status) == 0) CheckKind(spec.Path, status);
            DiskLock.Take(file, spec.Path, spec.ReadOnly);
            var format = spec.Format ?? Probe(file);
            if (format == DiskFormat.Qcow2)
            {
                file.Dispose();   // the qcow2 image opens (and locks) its file and its backing files itself
                return (OpenQcow2(spec, formatNamed: spec.Format is not null), VirtioBlk.SectorSize);
            }
            long bytes = RandomAccess.GetLength(file);
            if (bytes % VirtioBlk.SectorSize != 0)
                throw new DeviceConfigException($"--disk {spec.Path}: its size, {bytes} bytes, is not a multiple of {VirtioBlk.SectorSize}");
            DirectAlignment? direct = spec.CacheNone ? Direct(file, spec.Path, bytes) : null;
            var image = new RawDiskImage(file, bytes, spec.ReadOnly, direct);
            return (image, image.BlockSize);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>qcow2 (src/Devices/Block/Qcow2/): its refusals name the file, and here the option too.</summary>
    private static IDiskImage OpenQcow2(DiskSpec spec, bool formatNamed)
    {
        try
        {
            return Qcow2.Qcow2Image.Open(spec.Path, spec.ReadOnly, formatNamed);
        }
        catch (Qcow2.DiskImageError e)
        {
            throw new DeviceConfigException($"--disk {e.Message}");
        }
    }

    private static SafeFileHandle OpenFile(DiskSpec spec)
    {
        int fd = Libc.Open(spec.Path, (spec.ReadOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        int errno = Marshal.GetLastPInvokeError();
        string fix = errno == EROFS || (errno == EACCES && !spec.ReadOnly) ? " (give ,ro to open it read-only)" : "";
        throw new DeviceConfigException($"--disk {spec.Path}: cannot open: {FileStatus.Reason(errno)}{fix}");
    }

    /// <summary>qcow2 when the file starts with its magic; raw otherwise (a file shorter than the magic included).</summary>
    private static DiskFormat Probe(SafeFileHandle file)
    {
        Span<byte> start = stackalloc byte[4];
        try
        {
            return RandomAccess.Read(file, start, 0) == start.Length && start.SequenceEqual(Qcow2Magic) ? DiskFormat.Qcow2 : DiskFormat.Raw;
        }
        catch (IOException)
        {
            return DiskFormat.Raw;   // a device that cannot be read fails the guest's reads instead
        }
    }

    /// <summary>cache=none: O_DIRECT from here on (fcntl F_SETFL), and the alignment it asks for.</summary>
    private static DirectAlignment Direct(SafeFileHandle file, string path, long bytes)
    {
        int fd = (int)file.DangerousGetHandle();
        int flags = DiskLibc.Fcntl(fd, DiskLibc.F_GETFL, 0);
        if (flags < 0 || DiskLibc.Fcntl(fd, DiskLibc.F_SETFL, flags | DiskLibc.O_DIRECT) < 0)
            throw new DeviceConfigException($"--disk {path},cache=none: its file system does not take O_DIRECT; leave out cache=none");
        var alignment = DirectAlignment.Of(file);
        if (bytes % alignment.Offset != 0)
            throw new DeviceConfigException($"--disk {path},cache=none: its size, {bytes} bytes, is not a multiple of {alignment.Offset}, the file system's direct I/O block; leave out cache=none");
        return alignment;
    }

    private static void CheckKind(string path, FileStatus status)
    {
        if (status.Kind == FileKind.Directory) throw new DeviceConfigException($"--disk {path}: is a directory");
        if (status.Kind is not (FileKind.Regular or FileKind.BlockDevice))
            throw new DeviceConfigException($"--disk {path}: is {status.KindText}; a disk must be a regular file or a block device");
    }
}
