using System.CommandLine;
using Glue.Core.Devices;
using Glue.Virtio;

namespace Glue;

/// <summary>
/// `glue run --virtio-transport mmio|pci` (kvmtool's option): which of the build's virtio transports this VM's
/// virtio devices go on. The default is pci when the build has it, else the build's one transport.
/// </summary>
internal static class VirtioTransportOption
{
    public const string Name = "--virtio-transport";
    private const string Preferred = "pci";

    public static Option<string?> Create(IReadOnlyList<IVirtioTransportFeature> transports)
    {
        var option = new Option<string?>(Name)
        {
            HelpName = transports.Count == 0 ? "TRANSPORT" : string.Join('|', transports.Select(t => t.TransportName)),
            Description = transports.Count == 0
                ? "The transport for virtio devices; this build has none"
                : $"The transport for virtio devices: {string.Join(" or ", transports.Select(t => t.TransportName))} (default {Default(transports)?.TransportName ?? "none: choose one"})",
        };
        option.CompletionSources.Add(transports.Select(t => t.TransportName).ToArray());
        return option;
    }

    /// <summary>The transport <paramref name="value"/> names, or the default; throws <see cref="DeviceConfigException"/> for one the build lacks.</summary>
    public static IVirtioTransportFeature? Choose(string? value, IReadOnlyList<IVirtioTransportFeature> transports)
    {
        if (value is null) return Default(transports);
        if (transports.FirstOrDefault(t => t.TransportName == value) is { } chosen) return chosen;
        string has = transports.Count == 0 ? "no virtio transport" : $"only {string.Join(" and ", transports.Select(t => t.TransportName))}";
        throw value is "mmio" or "pci"
            ? new DeviceConfigException($"{Name} {value}: this build has no virtio-{value} transport ({has}); build it with a manifest that has it (manifests/full.props)")
            : new DeviceConfigException($"{Name} {value}: expected mmio or pci (this build has {has})");
    }

    private static IVirtioTransportFeature? Default(IReadOnlyList<IVirtioTransportFeature> transports) =>
        transports.FirstOrDefault(t => t.TransportName == Preferred) ?? (transports.Count == 1 ? transports[0] : null);
}
