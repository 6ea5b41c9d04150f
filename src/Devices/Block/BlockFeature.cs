using Glue.Core.Devices;
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
        [new(Option, "A raw disk image as a virtio block device: PATH[,ro][,id=STRING] (ro: read-only; id: what GET_ID returns, up to 20 characters)", Repeatable: true)];

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

    private static BlockDevice Open(DiskSpec spec)
    {
        SafeFileHandle file;
        try
        {
            if (Directory.Exists(spec.Path)) throw new DeviceConfigException($"--disk {spec.Path}: is a directory");
            file = File.OpenHandle(spec.Path, FileMode.Open, spec.ReadOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            string reason = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new DeviceConfigException($"--disk {spec.Path}: cannot open: {reason}");
        }

        try
        {
            long bytes = RandomAccess.GetLength(file);
            if (bytes % VirtioBlk.SectorSize != 0)
                throw new DeviceConfigException($"--disk {spec.Path}: its size, {bytes} bytes, is not a multiple of {VirtioBlk.SectorSize}");
            return new BlockDevice(file, bytes, spec.ReadOnly, spec.Id);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}

/// <summary>One `--disk` value: PATH, then comma-separated attributes `ro` and `id=STRING`.</summary>
internal sealed record DiskSpec(string Path, bool ReadOnly, string Id)
{
    public static DiskSpec Parse(string value, int index)
    {
        var parts = value.Split(',');
        string path = parts[0];
        if (path.Length == 0) throw new DeviceConfigException($"--disk '{value}': no file path");
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
