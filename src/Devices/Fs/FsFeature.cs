using System.Text;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Devices.Fs.Fuse;
using Glue.Devices.Fs.Host;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Fs.FsFeature))]

namespace Glue.Devices.Fs;

/// <summary>
/// `--fs tag=TAG,path=DIR[,ro][,max-fds=N][,cache=never|metadata|auto|always]`, repeatable: one virtio-fs device per shared
/// directory. Every value is parsed, and every path looked at, before any directory is opened.
/// </summary>
public sealed class FsFeature : IVirtioDeviceFeature
{
    public const string Option = "--fs";

    public string Name => "fs";

    public IReadOnlyList<DeviceOption> Options =>
        [new(Option, "A host directory as a virtio-fs device, mounted in the guest with `mount -t virtiofs TAG DIR`: tag=TAG,path=DIR[,ro][,max-fds=N][,cache=MODE] (ro: read-only; max-fds: host fds the guest may hold, default 65536; cache: what the guest may cache, never, metadata, auto (the default: 1 s) or always, as virtiofsd's)", Repeatable: true)];

    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        var specs = values.All(Option).Select(FsSpec.Parse).ToList();
        for (int i = 0; i < specs.Count; i++)
        {
            if (specs.Take(i).Any(other => other.Tag == specs[i].Tag)) throw new DeviceConfigException($"{Option}: tag '{specs[i].Tag}' is given twice; each share needs its own tag");
            int errno = FileStatus.Of(specs[i].Path, out var status);
            if (errno != 0) throw new DeviceConfigException($"{Option} tag={specs[i].Tag}: path {specs[i].Path}: {(FileStatus.IsMissing(errno) ? "no such directory" : Libc.ErrorText(errno).ToLowerInvariant())}");
            if (status.Kind != FileKind.Directory) throw new DeviceConfigException($"{Option} tag={specs[i].Tag}: path {specs[i].Path} is {status.KindText}, not a directory");
        }
        var devices = new List<IVirtioDevice>();
        try
        {
            int room = specs.Count == 0 ? 0 : OpenFileLimit.ForShares() / specs.Count;
            foreach (var spec in specs)
            {
                int errno = SharedDirectory.Open(spec.Path, spec.ReadOnly, Math.Min(spec.MaxFds, room), out var share);
                if (errno != 0) throw new DeviceConfigException($"{Option} tag={spec.Tag}: cannot open {spec.Path}: {Libc.ErrorText(errno).ToLowerInvariant()}");
                devices.Add(new FsDevice(spec.Tag, share!, spec.Cache));
            }
            return devices;
        }
        catch
        {
            foreach (var device in devices) ((IDisposable)device).Dispose();
            throw;
        }
    }
}

/// <summary>One `--fs` value: comma-separated tag=TAG, path=DIR, ro, max-fds=N, cache=MODE, in any order.</summary>
internal sealed record FsSpec(string Tag, string Path, bool ReadOnly, int MaxFds, FsCache Cache)
{
    public const int DefaultMaxFds = 65536;

    public static FsSpec Parse(string value)
    {
        string? tag = null, path = null;
        bool readOnly = false;
        int maxFds = DefaultMaxFds;
        var cache = FsCache.Auto;
        foreach (var attribute in value.Split(','))
        {
            if (attribute == "ro") readOnly = true;
            else if (attribute.StartsWith("tag=", StringComparison.Ordinal)) tag = attribute[4..];
            else if (attribute.StartsWith("path=", StringComparison.Ordinal)) path = attribute[5..];
            else if (attribute.StartsWith("max-fds=", StringComparison.Ordinal))
            {
                if (!int.TryParse(attribute[8..], out maxFds) || maxFds < 16)
                    throw new DeviceConfigException($"{FsFeature.Option} '{value}': max-fds must be a number of 16 or more, not '{attribute[8..]}'");
            }
            else if (attribute.StartsWith("cache=", StringComparison.Ordinal))
            {
                cache = attribute[6..] switch
                {
                    "never" => FsCache.Never,
                    "metadata" => FsCache.Metadata,
                    "auto" => FsCache.Auto,
                    "always" => FsCache.Always,
                    var other => throw new DeviceConfigException($"{FsFeature.Option} '{value}': cache must be never, metadata, auto or always, not '{other}'"),
                };
            }
            else throw new DeviceConfigException($"{FsFeature.Option} '{value}': unknown attribute '{attribute}' (expected tag=TAG, path=DIR, ro, max-fds=N or cache=MODE)");
        }
        if (string.IsNullOrEmpty(tag)) throw new DeviceConfigException($"{FsFeature.Option} '{value}': no tag; give {FsFeature.Option} tag=TAG,path=DIR");
        if (Encoding.UTF8.GetByteCount(tag) > FsDevice.TagBytes || tag.Any(char.IsControl))
            throw new DeviceConfigException($"{FsFeature.Option} '{value}': tag '{tag}' must be 1 to {FsDevice.TagBytes} bytes of UTF-8 without control characters");
        if (string.IsNullOrEmpty(path)) throw new DeviceConfigException($"{FsFeature.Option} '{value}': no path; give {FsFeature.Option} tag={tag},path=DIR");
        return new FsSpec(tag, path, readOnly, maxFds, cache);
    }
}
