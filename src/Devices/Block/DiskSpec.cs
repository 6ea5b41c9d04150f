using Glue.Core.Devices;

namespace Glue.Devices.Block;

/// <summary>A disk image's format: named with `format=`, or probed from its first bytes.</summary>
internal enum DiskFormat { Raw, Qcow2 }

/// <summary>One `--disk` value: PATH, then comma-separated attributes `ro`, `id=STRING`, `format=raw|qcow2`, `cache=writeback|none` and `queues=N`.</summary>
internal sealed record DiskSpec(string Path, bool ReadOnly, string Id, DiskFormat? Format, bool CacheNone, int Queues)
{
    public const string Syntax = "PATH[,ro][,id=STRING][,format=raw|qcow2][,cache=writeback|none][,queues=N]";

    /// <summary>The most request queues a disk takes: Linux uses one per CPU at most, and each costs a ring's requests.</summary>
    public const int MaxQueues = 64;

    /// <param name="defaultQueues">One per vCPU of the VM (capped at <see cref="MaxQueues"/>).</param>
    public static DiskSpec Parse(string value, int index, int defaultQueues)
    {
        var parts = value.Split(',');
        string path = parts[0];
        if (path.Length == 0) throw new DeviceConfigException($"--disk '{value}': no file path; give --disk {Syntax}");
        bool readOnly = false, cacheNone = false;
        string id = $"glue-disk-{index}";
        DiskFormat? format = null;
        int queues = Math.Clamp(defaultQueues, 1, MaxQueues);
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
            else if (attribute.StartsWith("format=", StringComparison.Ordinal))
            {
                format = attribute["format=".Length..] switch
                {
                    "raw" => DiskFormat.Raw,
                    "qcow2" => DiskFormat.Qcow2,
                    var other => throw new DeviceConfigException($"--disk {path}: format '{other}' is not raw or qcow2"),
                };
            }
            else if (attribute.StartsWith("cache=", StringComparison.Ordinal))
            {
                cacheNone = attribute["cache=".Length..] switch
                {
                    "writeback" => false,
                    "none" => true,
                    var other => throw new DeviceConfigException($"--disk {path}: cache '{other}' is not writeback or none"),
                };
            }
            else if (attribute.StartsWith("queues=", StringComparison.Ordinal))
            {
                if (!int.TryParse(attribute["queues=".Length..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out queues)
                    || queues is < 1 or > MaxQueues)
                    throw new DeviceConfigException($"--disk {path}: queues '{attribute["queues=".Length..]}' must be a number from 1 to {MaxQueues}");
            }
            else
            {
                throw new DeviceConfigException($"--disk {path}: unknown attribute '{attribute}' (expected ro, id=STRING, format=raw|qcow2, cache=writeback|none or queues=N)");
            }
        }
        return new DiskSpec(path, readOnly, id, format, cacheNone, queues);
    }
}
