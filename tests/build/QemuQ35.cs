namespace Glue.BuildTests;

/// <summary>
/// The test guest booted in QEMU's q35 machine under KVM, its virtio devices on PCI, as tests/guest/README.md gives
/// the command line. qboot is the firmware (SeaBIOS, q35's default, takes about 30 s here: its CPL0 code is
/// emulated) and assigns no BARs, so the guest places them itself in the root bridge's _CRS windows. `i8042=off`
/// makes the guest's reset write a no-op, so its write to isa-debug-exit ends QEMU as on microvm.
/// </summary>
public static class QemuQ35
{
    /// <summary>The whole command, `timeout` first, for running it in the KVM host, directly or inside a network namespace.</summary>
    /// <param name="commandLine">The guest's command line (-append).</param>
    /// <param name="options">Further QEMU options: -drive, -device, ...</param>
    public static string[] Command(string commandLine, params string[] options) =>
    [
        "timeout", "60", "qemu-system-x86_64", "-M", "q35,i8042=off", "-bios", "qboot.rom", "-enable-kvm",
        "-cpu", "host,-arch-capabilities", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "128", "-smp", "2",
        "-kernel", TestEnvironment.Guest, .. options, "-append", commandLine,
    ];

    public static Task<ProcessResult> BootAsync(string commandLine, params string[] options)
    {
        var command = Command(commandLine, options);
        return BoundedProcess.RunAsync(KvmHost.StartInfo(command[0], command[1..]), TimeSpan.FromSeconds(90), null, BoundedProcess.StopBy.Kill);
    }
}
