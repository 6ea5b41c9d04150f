using Microsoft.CodeAnalysis;

namespace Glue.Generators;

/// <summary>
/// Generates the registry `glue run` builds its VM and options from. The manifest decides which device
/// projects are referenced; this finds them at compile time, so no reflection runs and trimming keeps
/// exactly what the manifest chose.
/// </summary>
[Generator]
public sealed class DeviceRegistryGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var manifestName = context.AnalyzerConfigOptionsProvider
            .Select((options, _) => options.GlobalOptions.TryGetValue("build_property.GlueManifestName", out var name) && name.Length > 0 ? name : "unnamed")
            .WithTrackingName("ManifestName");
        var devices = context.CompilationProvider
            .Select(RegistryParser.DeviceFeatureTypes)
            .WithComparer(ImmutableArrayComparer.Instance)
            .WithTrackingName("DeviceFeatureTypes");
        var model = manifestName.Combine(devices)
            .Select((pair, _) => new RegistryModel(pair.Left, pair.Right))
            .WithTrackingName("RegistryModel");
        context.RegisterSourceOutput(model, (output, m) => output.AddSource("DeviceRegistry.g.cs", RegistryEmitter.Emit(m)));
    }
}
