using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Virtio;
using Microsoft.Win32.SafeHandles;

[assembly: GlueDevice(typeof(Glue.Devices.Block.BlockFeature))]

namespace Glue.Devices.Block;

/// <summary>`--disk PATH[,ro][,id=STRING]`, repeatable: one virtio block device per raw image file.</summary>
public sealed class BlockFeature : IVirtioDeviceFeature
{
    public const string Option = "--disk";

    public string Name => "blk";

    public IReadOnlyList<DeviceOption> Options =>
        [new(Option, "A raw disk image as a virtio block device: PATH[,ro][,id=STRING] (ro: read-only; id: what GET_ID returns, up to 20 characters)", Repeatable: true, Alias: "-d")];

    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        var disks = new List<IVirtioDevice>();
        try
        {
            foreach (var value in values.All(Option)) disks.Add(Open(DiskSpec.Parse(value, disks.Count)));
            return disks;
        }
        catch
        {
            foreach (var disk in disks) ((IDisposable)disk).Dispose();
            throw;
        }
    }

    /// <summary>
    /// A disk is a regular file or a block device, looked at before it is opened (a FIFO would wait for a
    /// writer) and again once open, non-blocking; then locked (<see cref="DiskLock"/>).
    /// </summary>
    private static BlockDevice Open(DiskSpec spec)
    {
        int errno = FileStatus.Of(spec.Path, out var status);
        if (errno != 0) throw new DeviceConfigException($"--disk {spec.Path}: {FileStatus.Reason(errno)}");
        CheckKind(spec.Path, status);
        int fd = Libc.Open(spec.Path, (spec.ReadOnly ? Libc.O_RDONLY : Libc.O_RDWR) | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            string fix = errno == EROFS || (errno == EACCES && !spec.ReadOnly) ? " (give ,ro to open it read-only)" : "";
            throw new DeviceConfigException($"--disk {spec.Path}: cannot open: {FileStatus.Reason(errno)}{fix}");
        }
        var file = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (FileStatus.Of(file, out status) == 0) CheckKind(spec.Path, status);
            long bytes = RandomAccess.GetLength(file);
            if (bytes % VirtioBlk.SectorSize != 0)
                throw new DeviceConfigException($"--disk {spec.Path}: its size, {bytes} bytes, is not a multiple of {VirtioBlk.SectorSize}");
            DiskLock.Take(file, spec.Path, spec.ReadOnly);
            return new BlockDevice(file, bytes, spec.ReadOnly, spec.Id);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private const int EACCES = 13, EROFS = 30;

    private static void CheckKind(string path, FileStatus status)
    {
        if (status.Kind == FileKind.Directory) throw new DeviceConfigException($"--disk {path}: is a directory");
        if (status.Kind is not (FileKind.Regular or FileKind.BlockDevice))
            throw new DeviceConfigException($"--disk {path}: is {status.KindText}; a disk must be a regular file or a block device");
    }
}

/// <summary>One `--disk` value: PATH, then comma-separated attributes `ro` and `id=STRING`.</summary>
internal sealed record DiskSpec(string Path, bool ReadOnly, string Id)
{
    public static DiskSpec Parse(string value, int index)
    {
        var parts = value.Split(',');
        string path = parts[0];
        if (path.Length == 0) throw new DeviceConfigException($"--disk '{value}': no file path; give --disk PATH[,ro][,id=STRING]");
        bool readOnly = false;
        string id = $"glue-disk-{index}";
        foreach (var attribute in parts.AsSpan(1))
        {
            if (attribute == "ro")
            {
                readOnly = true;
            }
            else if (attribute.StartsWith("id=", StringComparison.Ordinal))
            {
                id = attribute[3..];
                if (id.Length is 0 or > VirtioBlk.VIRTIO_BLK_ID_BYTES || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                    throw new DeviceConfigException($"--disk {path}: id '{id}' must be 1 to {VirtioBlk.VIRTIO_BLK_ID_BYTES} ASCII letters, digits, '-', '_' or '.'");
            }
            else
            {
                throw new DeviceConfigException($"--disk {path}: unknown attribute '{attribute}' (expected ro or id=STRING)");
            }
        }
        return new DiskSpec(path, readOnly, id);
    }
}
