using Glue.Core.Devices;

namespace Glue.Devices.Block;

/// <summary>A disk image's format: named with `format=`, or probed from its first bytes.</summary>
internal enum DiskFormat { Raw, Qcow2 }

/// <summary>One `--disk` value: PATH, then comma-separated attributes `ro`, `id=STRING`, `format=raw|qcow2` and `cache=writeback|none`.</summary>
internal sealed record DiskSpec(string Path, bool ReadOnly, string Id, DiskFormat? Format, bool CacheNone)
{
    public const string Syntax = "PATH[,ro][,id=STRING][,format=raw|qcow2][,cache=writeback|none]";

    public static DiskSpec Parse(string value, int index)
    {
        var parts = value.Split(',');
        string path = parts[0];
        if (path.Length == 0) throw new DeviceConfigException($"--disk '{value}': no file path; give --disk {Syntax}");
        bool readOnly = false, cacheNone = false;
        string id = $"glue-disk-{index}";
        DiskFormat? format = null;
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
            else
            {
                throw new DeviceConfigException($"--disk {path}: unknown attribute '{attribute}' (expected ro, id=STRING, format=raw|qcow2 or cache=writeback|none)");
            }
        }
        return new DiskSpec(path, readOnly, id, format, cacheNone);
    }
}
