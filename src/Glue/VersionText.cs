using System.Reflection;
using Glue.Virtio;

namespace Glue;

/// <summary>`glue --version`: the version, the manifest this binary was built from, its devices and its transports.</summary>
internal static class VersionText
{
    public static string Version =>
        typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    public static string Build()
    {
        string version = Version;
        var features = DeviceRegistry.CreateDevices();
        string Names(bool transports) =>
            string.Join(",", features.Where(f => (f is IVirtioTransportFeature or IVirtioBackendFeature) == transports).Select(f => f.Name).Order(StringComparer.Ordinal));
        return $"glue {version}\nmanifest: {DeviceRegistry.ManifestName}\ndevices: {Names(false)}\ntransports: {Names(true)}";
    }
}
