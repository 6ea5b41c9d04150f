namespace Glue.Build;

/// <summary>
/// The `dotnet test --filter`s of the build tests. A test that needs a device carries
/// [Trait("Device", "&lt;short name&gt;")] (a transport: "Transport"); a manifest's run leaves it out when the
/// manifest lacks that component. Tests in Category=Reference check the test guest under QEMU, not glue, so
/// they run once, on their own, rather than once per manifest. Tests in Category=Linux boot the Debian kernel, and
/// those in Category=Soak repeat one of Core's cycles (pause and resume, run and stop) many times over: Core is
/// the same in every manifest, and both take minutes in the software KVM host, so they run with the default
/// manifest only. So do those in Category=SeccompTrigger, which need the trigger build published beside it.
/// </summary>
public static class TestFilter
{
    private const string ReferenceCategory = "Reference";
    private const string LinuxCategory = "Linux";
    private const string SoakCategory = "Soak";
    private const string SeccompTriggerCategory = "SeccompTrigger";

    /// <summary>The reference run: only the tests in Category=Reference.</summary>
    public const string Reference = $"Category={ReferenceCategory}";

    /// <summary>One manifest's run: every test but those needing an absent component, the reference tests, and (but on the default manifest) the Linux, soak and trigger ones.</summary>
    public static string For(Manifest manifest, bool isDefaultManifest) =>
        string.Join('&', manifest.Absent
            .Select(component => $"{component.Kind.Trait}!={component.ShortName}")
            .Append($"Category!={ReferenceCategory}")
            .Concat(isDefaultManifest ? [] : [$"Category!={LinuxCategory}", $"Category!={SoakCategory}", $"Category!={SeccompTriggerCategory}"]));
}
