using Glue.Core.Machine;

namespace Glue.Core.Devices;

/// <summary>
/// What a device or transport project gives Glue: its name and its `run` options. Each project names its
/// feature with <see cref="GlueDeviceAttribute"/>; the source generator finds the ones compiled into a build,
/// so nothing else lists them. A feature is one of the kinds that say how it reaches a VM:
/// <see cref="IPlatformDeviceFeature"/> here, or the virtio device and transport features of Glue.Virtio.
/// </summary>
public interface IDeviceFeature
{
    /// <summary>Short lowercase name, e.g. "serial": shown by --version and in option descriptions.</summary>
    string Name { get; }

    /// <summary>The device's options for `glue run`.</summary>
    IReadOnlyList<DeviceOption> Options { get; }
}

/// <summary>A device that sits on the machine's buses itself, at fixed ports or addresses (the UART, the i8042).</summary>
public interface IPlatformDeviceFeature : IDeviceFeature
{
    /// <summary>Adds the device to the VM as configured; values holds each option's occurrences by option name.</summary>
    void Attach(IDevicePlatform machine, DeviceOptionValues values);
}

/// <summary>One `run` option a device contributes: "--disk" with its help text; repeatable when given more than once; Alias a short form ("-d").</summary>
public sealed record DeviceOption(string Name, string Description, bool Repeatable = false, string? Alias = null);

/// <summary>The values given on the command line for a device's options.</summary>
public sealed class DeviceOptionValues(IReadOnlyDictionary<string, string[]> values)
{
    public static readonly DeviceOptionValues None = new(new Dictionary<string, string[]>());

    /// <summary>Where a device reports what glue's -v shows (a VNC client's wrong password), one line each; null without -v.</summary>
    public Action<string>? VerboseLog { get; init; }

    public IReadOnlyList<string> All(string option) => values.TryGetValue(option, out var v) ? v : [];

    public string? Single(string option) => values.TryGetValue(option, out var v) && v.Length > 0 ? v[^1] : null;

    /// <summary>The VM's vCPUs (`-c`), for a device that gives each its own resources (a block queue per vCPU); 1 for `glue device`.</summary>
    public int Cpus { get; init; } = 1;
}

/// <summary>A device's configuration that cannot be used: a clear, one-line reason.</summary>
public sealed class DeviceConfigException(string message) : Exception(message);
