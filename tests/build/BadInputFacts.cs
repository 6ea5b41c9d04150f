using Xunit;

namespace Glue.BuildTests;

// Bad-input tests run the glue binary with the test guest as the one valid kernel where a case needs one (so that
// only the bad option can be what glue refuses), and need no /dev/kvm: glue checks every input before it opens KVM.

/// <summary>A bad-input test: the glue binary and the test guest, with or without KVM.</summary>
public sealed class BadInputFactAttribute : FactAttribute
{
    public BadInputFactAttribute() => Skip = BadInputEnvironment.Missing;
}

/// <summary>A bad-input theory: the glue binary and the test guest, with or without KVM.</summary>
public sealed class BadInputTheoryAttribute : TheoryAttribute
{
    public BadInputTheoryAttribute() => Skip = BadInputEnvironment.Missing;
}

internal static class BadInputEnvironment
{
    /// <summary>Null when the binary and the test guest are given.</summary>
    public static string? Missing =>
        TestEnvironment.MissingForGlue ??
        (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("GLUE_GUEST")) ? "GLUE_GUEST is not set: run these tests through ./build.sh test" : null);
}
