using System;
using System.Collections.Immutable;
using System.Linq;

namespace Glue.Generators;

/// <summary>
/// What the registry is generated from: the manifest's name and the feature types of the device assemblies
/// compiled in. Only strings, so the incremental pipeline can compare models by value and skip unchanged work.
/// </summary>
internal sealed class RegistryModel : IEquatable<RegistryModel>
{
    public RegistryModel(string manifestName, ImmutableArray<string> deviceFeatureTypes)
    {
        ManifestName = manifestName;
        DeviceFeatureTypes = deviceFeatureTypes;
    }

    public string ManifestName { get; }

    /// <summary>Fully qualified names (global::...) of IDeviceFeature types, sorted.</summary>
    public ImmutableArray<string> DeviceFeatureTypes { get; }

    public bool Equals(RegistryModel? other) =>
        other is not null && ManifestName == other.ManifestName && DeviceFeatureTypes.SequenceEqual(other.DeviceFeatureTypes);

    public override bool Equals(object? obj) => Equals(obj as RegistryModel);

    public override int GetHashCode() => DeviceFeatureTypes.Aggregate(ManifestName.GetHashCode(), (h, t) => h * 31 + t.GetHashCode());
}
