namespace Glue.Build;

/// <summary>
/// The `dotnet test --filter`s of the build tests. A test that needs a device carries
/// [Trait("Device", "&lt;short name&gt;")] (a transport: "Transport"); a manifest's run leaves it out when the
/// manifest lacks that component. Tests in Category=Reference check the test guest under QEMU, not glue, so
/// they run once, on their own, rather than once per manifest.
/// </summary>
public static class TestFilter
{
    private const string ReferenceCategory = "Reference";

    /// <summary>The reference run: only the tests in Category=Reference.</summary>
    public const string Reference = $"Category={ReferenceCategory}";

    /// <summary>One manifest's run: every test but those needing an absent component, and the reference tests.</summary>
    public static string For(Manifest manifest) =>
        string.Join('&', manifest.Absent
            .Select(component => $"{component.Kind.Trait}!={component.ShortName}")
            .Append($"Category!={ReferenceCategory}"));
}
