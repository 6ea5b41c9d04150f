using System.Xml.Linq;

namespace Glue.TestSupport;

/// <summary>
/// A kind of optional part of Glue: its projects live in src/&lt;Folder&gt;/&lt;DirName&gt;/, its tests carry
/// the trait <see cref="Trait"/>, and `glue --version` lists the compiled-in ones on a line named after the folder.
/// </summary>
public sealed record ComponentKind(string Folder, string Trait)
{
    public static readonly ComponentKind Device = new("Devices", "Device");
    public static readonly ComponentKind Transport = new("Transports", "Transport");
    public static readonly IReadOnlyList<ComponentKind> All = [Device, Transport];

    /// <summary>The label of this kind's line in `glue --version`, e.g. "devices".</summary>
    public string VersionLabel => Folder.ToLowerInvariant();

    /// <summary>The folder holding one project per component of this kind; it may not exist yet.</summary>
    public string SourceFolder(string repositoryRoot) => Path.Combine(repositoryRoot, "src", Folder);
}

/// <summary>
/// One device or transport that a manifest can compile into glue. Its short name and manifest property follow
/// its folder (Serial: "serial", GlueSerial) unless its project file says otherwise with the properties
/// GlueComponentName and GlueManifestProperty (Block: "blk", GlueBlock; Mmio: "virtio-mmio", GlueVirtioMmio).
/// </summary>
public sealed record Component(ComponentKind Kind, string DirName, string ShortName, string PropertyName)
{
    public Component(ComponentKind kind, string dirName) : this(kind, dirName, dirName.ToLowerInvariant(), "Glue" + dirName)
    {
    }

    /// <summary>The assembly's file name, which the native image's metadata names exactly when the component is compiled in.</summary>
    public string AssemblyFileName => $"Glue.{Kind.Folder}.{DirName}.dll";

    /// <summary>The component in <paramref name="directory"/>, named as its project file says.</summary>
    public static Component FromDirectory(ComponentKind kind, string directory)
    {
        var byFolder = new Component(kind, Path.GetFileName(directory));
        var project = Directory.GetFiles(directory, "*.csproj").FirstOrDefault();
        if (project is null)
            return byFolder;
        var properties = XDocument.Load(project).Root!.Elements("PropertyGroup").Elements().ToList();
        string? Property(string name) => properties.FirstOrDefault(p => p.Name.LocalName == name)?.Value.Trim() is { Length: > 0 } value ? value : null;
        return byFolder with
        {
            ShortName = Property("GlueComponentName") ?? byFolder.ShortName,
            PropertyName = Property("GlueManifestProperty") ?? byFolder.PropertyName,
        };
    }
}
