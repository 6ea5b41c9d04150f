using System.Xml;
using System.Xml.Linq;

namespace Glue.TestSupport;

/// <summary>
/// A manifests/&lt;name&gt;.props file: which devices and transports one glue binary has. A component is present
/// when its property (Glue&lt;DirName&gt; unless its project names another) is true; every other project folder under src/Devices and src/Transports
/// is absent. This file is shared with the build tests so both read manifests the same way.
/// </summary>
public sealed record Manifest(string Name, string Path, IReadOnlyList<Component> Present, IReadOnlyList<Component> Absent)
{
    public static Manifest Load(string path, string repositoryRoot)
    {
        var enabled = EnabledProperties(path);
        var components = ComponentKind.All.SelectMany(kind => ComponentsOf(kind, repositoryRoot)).ToList();
        return new Manifest(
            System.IO.Path.GetFileNameWithoutExtension(path),
            System.IO.Path.GetFullPath(path),
            components.Where(c => enabled.Contains(c.PropertyName)).ToList(),
            components.Where(c => !enabled.Contains(c.PropertyName)).ToList());
    }

    public IEnumerable<Component> PresentOf(ComponentKind kind) => Present.Where(c => c.Kind == kind);

    /// <summary>MSBuild property names are case-insensitive, and so is the value "true".</summary>
    private static HashSet<string> EnabledProperties(string path) =>
        Parse(path).Root!
            .Elements()
            .Where(element => element.Name.LocalName == "PropertyGroup")
            .Elements()
            .Where(property => property.Value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase))
            .Select(property => property.Name.LocalName)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static XDocument Parse(string path)
    {
        try
        {
            return XDocument.Load(path);
        }
        catch (XmlException error)
        {
            throw new InvalidDataException($"manifest {path} is not valid XML: {error.Message}", error);
        }
    }

    private static IEnumerable<Component> ComponentsOf(ComponentKind kind, string repositoryRoot)
    {
        var folder = kind.SourceFolder(repositoryRoot);
        if (!Directory.Exists(folder))
            return [];
        return Directory.GetDirectories(folder)
            .Select(directory => Component.FromDirectory(kind, directory))
            .OrderBy(component => component.ShortName, StringComparer.Ordinal);
    }
}
