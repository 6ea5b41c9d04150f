namespace Glue.Core.Boot;

/// <summary>
/// The command line a kernel is given: for a Linux kernel Glue's defaults come first, then what the machine's
/// devices need the kernel to be told (e.g. `virtio_mmio.device=`), then the user's `-p`, last so that it wins
/// (Linux takes the last value of a repeated parameter).
/// </summary>
public static class KernelCommandLine
{
    /// <summary>
    /// The serial console, reboot through the i8042 (which ends `glue`), a panic that reboots after a second
    /// instead of hanging, and no probing for hardware Glue does not have.
    /// </summary>
    public const string LinuxDefaults = "console=ttyS0 reboot=k panic=1 pci=off i8042.noaux i8042.nomux i8042.dumbkbd";

    public static string Compose(bool linuxDefaults, IReadOnlyList<string> platform, string user) =>
        string.Join(' ', new[] { linuxDefaults ? LinuxDefaults : "" }.Concat(platform).Append(user).Where(p => p.Length > 0));
}
