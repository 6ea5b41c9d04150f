using System.Reflection;

namespace Glue;

/// <summary>`glue --version`: the version, the manifest this binary was built from, and its devices.</summary>
internal static class VersionText
{
    public static string Build()
    {
        string version = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";
        var devices = DeviceRegistry.CreateDevices().Select(d => d.Name).Order(StringComparer.Ordinal);
        return $"glue {version}\nmanifest: {DeviceRegistry.ManifestName}\ndevices: {string.Join(",", devices)}";
    }
}
