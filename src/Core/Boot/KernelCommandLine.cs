namespace Glue.Core.Boot;

/// <summary>
/// The command line a kernel is given: for a Linux kernel Glue's defaults come first (its own, then those of the
/// machine's devices: `console=ttyS0` from the serial port, `pci=off` from a machine without PCI), then what the
/// devices need every kernel to be told (e.g. `virtio_mmio.device=`), then the user's `-p`, last so that it wins
/// (Linux takes the last value of a repeated parameter).
/// </summary>
public static class KernelCommandLine
{
    /// <summary>Core's own default: a panic reboots (which ends `glue`) after a second instead of hanging.</summary>
    public const string LinuxDefaults = "panic=1";

    public static string Compose(IEnumerable<string> defaults, IReadOnlyList<string> platform, string user) =>
        string.Join(' ', defaults.Concat(platform).Append(user).Where(p => p.Length > 0));
}
