using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Glue.Generators;

/// <summary>Finds the device assemblies a compilation references: each carries [assembly: GlueDevice(typeof(...))].</summary>
internal static class RegistryParser
{
    public const string DeviceAttribute = "Glue.Core.Devices.GlueDeviceAttribute";

    public static ImmutableArray<string> DeviceFeatureTypes(Compilation compilation, CancellationToken cancellation)
    {
        var attribute = compilation.GetTypeByMetadataName(DeviceAttribute);
        if (attribute is null) return ImmutableArray<string>.Empty;
        var types = ImmutableArray.CreateBuilder<string>();
        foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
        {
            cancellation.ThrowIfCancellationRequested();
            foreach (var data in assembly.GetAttributes())
            {
                if (SymbolEqualityComparer.Default.Equals(data.AttributeClass, attribute)
                    && data.ConstructorArguments.Length == 1
                    && data.ConstructorArguments[0].Value is INamedTypeSymbol feature)
                {
                    types.Add(feature.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat));
                }
            }
        }
        return types.OrderBy(t => t, System.StringComparer.Ordinal).ToImmutableArray();
    }
}
