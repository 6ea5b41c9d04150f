using System.Xml.Linq;

namespace Glue.TestSupport;

/// <summary>
/// A kind of optional part of Glue: its projects live in src/&lt;Folder&gt;/&lt;DirName&gt;/Glue.&lt;Folder&gt;.&lt;DirName&gt;.csproj,
/// a manifest names each one it compiles in with an item <see cref="ManifestItem"/>, its tests carry the trait
/// <see cref="Trait"/>, and `glue --version` lists the compiled-in ones on a line named after the folder.
/// </summary>
public sealed record ComponentKind(string Folder, string ManifestItem, string Trait)
{
    public static readonly ComponentKind Device = new("Devices", "GlueDevice", "Device");
    public static readonly ComponentKind Transport = new("Transports", "GlueTransport", "Transport");
    public static readonly IReadOnlyList<ComponentKind> All = [Device, Transport];

    /// <summary>The label of this kind's line in `glue --version`, e.g. "devices".</summary>
    public string VersionLabel => Folder.ToLowerInvariant();

    /// <summary>The folder holding one project per component of this kind; it may not exist yet.</summary>
    public string SourceFolder(string repositoryRoot) => Path.Combine(repositoryRoot, "src", Folder);

    /// <summary>The project of the component in folder <paramref name="dirName"/>, by the convention manifests/ProjectReferences.targets follows.</summary>
    public string ProjectFile(string repositoryRoot, string dirName) => Path.Combine(SourceFolder(repositoryRoot), dirName, $"Glue.{Folder}.{dirName}.csproj");
}

/// <summary>
/// One device or transport that a manifest can compile into glue, named in a manifest by its folder (Block,
/// `&lt;GlueDevice Include="Block" /&gt;`). Its short name follows its folder (Serial: "serial") unless its project
/// file says otherwise with the property GlueComponentName (Block: "blk"; Mmio: "virtio-mmio").
/// </summary>
public sealed record Component(ComponentKind Kind, string DirName, string ShortName)
{
    public Component(ComponentKind kind, string dirName) : this(kind, dirName, dirName.ToLowerInvariant())
    {
    }

    /// <summary>The assembly's file name, which the native image's metadata names exactly when the component is compiled in.</summary>
    public string AssemblyFileName => $"Glue.{Kind.Folder}.{DirName}.dll";

    /// <summary>The component in folder <paramref name="dirName"/> of its kind's source folder, named as its project file says.</summary>
    public static Component Of(ComponentKind kind, string repositoryRoot, string dirName)
    {
        var byFolder = new Component(kind, dirName);
        var name = XDocument.Load(kind.ProjectFile(repositoryRoot, dirName)).Root!.Elements("PropertyGroup").Elements()
            .FirstOrDefault(p => p.Name.LocalName == "GlueComponentName")?.Value.Trim();
        return string.IsNullOrEmpty(name) ? byFolder : byFolder with { ShortName = name };
    }
}
