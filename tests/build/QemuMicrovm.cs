namespace Glue.BuildTests;

/// <summary>
/// The test guest booted in QEMU's microvm machine under KVM, as tests/guest/README.md gives the command line:
/// the guest's write to port 0xf4 (isa-debug-exit) ends QEMU with status 1 when every test passed, 3 otherwise.
/// </summary>
public static class QemuMicrovm
{
    /// <summary>isa-debug-exit turns the guest's write of 0 to port 0xf4 into QEMU's exit status (0 &lt;&lt; 1) | 1.</summary>
    public const int AllPassedExitStatus = 1;

    /// <param name="machine">The -M value: "microvm", or with options such as "microvm,acpi=off".</param>
    /// <param name="commandLine">The guest's command line (-append).</param>
    /// <param name="options">Further QEMU options: -initrd, -drive, -device, ...</param>
    public static Task<ProcessResult> BootAsync(string machine, string commandLine, params string[] options) =>
        BoundedProcess.RunAsync(KvmHost.StartInfo("timeout", Arguments(machine, commandLine, options)), TimeSpan.FromSeconds(90), null, BoundedProcess.StopBy.Kill);

    /// <summary>The arguments of `timeout` that boot the guest so, in the KVM host (<see cref="KvmHost.StartInfo"/>): for a test that watches the run (<see cref="WatchedProcess"/>).</summary>
    public static string[] Arguments(string machine, string commandLine, params string[] options) =>
    [
        "60", "qemu-system-x86_64", "-M", machine, "-enable-kvm", "-cpu", "host,-arch-capabilities",
        "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "128", "-smp", "2",
        "-kernel", TestEnvironment.Guest, .. options, "-append", commandLine,
    ];
}
