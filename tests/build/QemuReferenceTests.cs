using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest passes all its tests under QEMU, the reference VMM: a failure in glue's runs is then glue's,
/// not the guest's. It needs no glue binary, so ./build.sh test runs it with one manifest only.
/// </summary>
[Trait("Category", "Reference")]
public class QemuReferenceTests
{
    /// <summary>isa-debug-exit turns the guest's write of 0 to port 0xf4 into QEMU's exit status (0 &lt;&lt; 1) | 1.</summary>
    private const int AllPassedExitStatus = 1;

    [QemuFact]
    public async Task GuestPassesEveryTestUnderQemu()
    {
        using var directory = new TempDirectory();
        var initrd = TestInitrd.Write(directory);
        string[] qemu =
        [
            "60", "qemu-system-x86_64", "-M", "microvm", "-enable-kvm", "-cpu", "host,-arch-capabilities",
            "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "128", "-smp", "2",
            "-kernel", TestEnvironment.Guest, "-initrd", initrd.Path,
            "-append", $"glue.mem=128 glue.cpus=2 {initrd.GuestKey()}",
        ];

        var run = await BoundedProcess.RunAsync("timeout", qemu, TimeSpan.FromSeconds(90));

        GuestAssert.AllPassed(run, AllPassedExitStatus, "memmap", "smp", "initrd", "cmdline", "irq");
    }
}
