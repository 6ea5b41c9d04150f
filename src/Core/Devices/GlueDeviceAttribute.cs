namespace Glue.Core.Devices;

/// <summary>Marks a device assembly and names its <see cref="IDeviceFeature"/> type for the registry generator.</summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class GlueDeviceAttribute(Type feature) : Attribute
{
    public Type Feature { get; } = feature;
}
