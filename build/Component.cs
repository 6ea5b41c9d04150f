namespace Glue.Build;

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

/// <summary>One device or transport that a manifest can compile into glue.</summary>
public sealed record Component(ComponentKind Kind, string DirName)
{
    /// <summary>The name glue shows to users: in --version, and as the [tag] ending its options' help.</summary>
    public string ShortName => DirName.ToLowerInvariant();

    /// <summary>The manifest property that compiles this component in, e.g. GlueSerial.</summary>
    public string PropertyName => "Glue" + DirName;

    /// <summary>The assembly's file name, which the single-file bundle holds exactly when the component is compiled in.</summary>
    public string AssemblyFileName => $"Glue.{Kind.Folder}.{DirName}.dll";
}
