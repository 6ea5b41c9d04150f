using Xunit;

namespace Glue.Tests.Devices.Net;

/// <summary>
/// A test on a real TAP in a network namespace of its own (<see cref="TapTests"/>): skipped, with the reason, where
/// this process cannot make one (no /dev/net/tun; not root, so no unshare(CLONE_NEWNET) and no TUNSETIFF).
/// </summary>
public sealed class TapFactAttribute : FactAttribute
{
    public TapFactAttribute() => Skip = Missing;

    internal static string? Missing =>
        !File.Exists("/dev/net/tun") ? "/dev/net/tun is missing"
        : Environment.UserName != "root" ? "a TAP in a network namespace of its own needs root"
        : null;
}

/// <summary>The same for a theory.</summary>
public sealed class TapTheoryAttribute : TheoryAttribute
{
    public TapTheoryAttribute() => Skip = TapFactAttribute.Missing;
}
