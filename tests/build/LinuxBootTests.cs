using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The Debian kernel reads what glue gives it: its own early boot lines must show glue's command line, e820
/// map, initrd, MP table and ACPI tables. On PVM the kernel's CPL0 code is emulated (shared/pvm/PVM.md): a
/// bzImage gets as far as its decompressor, a vmlinux through its early boot (past acpi_early_init, which
/// checksums the tables) to its int3 self-test; the DSDT's AML is first parsed later, so iasl checks it
/// (tests/Glue.Tests/Core/Firmware). On a host with hardware virtualization the full boot runs to user space
/// and powers off.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial")]
public class LinuxBootTests
{
    private const string EarlyPrintk = "earlyprintk=serial,ttyS0,115200";

    // Emulated CPL0 code is slow, and slower still while the build runs beside it.
    private static readonly TimeSpan EarlyBootLimit = TimeSpan.FromMinutes(6);

    private static string Kernel(string name) => Path.Combine(TestEnvironment.Linux, name);

    /// <summary>
    /// Debian builds without X86_VERBOSE_BOOTUP, so its decompressor prints no banner, only warnings: `nokaslr`
    /// makes it print one, which shows it was entered at the 64-bit entry, found the command line through the
    /// zero page and set up the serial console from it.
    /// </summary>
    [LinuxFact]
    public async Task The_bzImage_decompressor_reads_the_command_line_from_the_zero_page()
    {
        const string Warning = "KASLR disabled: 'nokaslr' on cmdline.";
        var run = await GlueBinary.RunAsync(
            ["run", "-k", Kernel("vmlinuz"), "-m", "512", "-p", $"{EarlyPrintk} nokaslr"], EarlyBootLimit, Warning);
        Assert.Contains(run.Stdout, line => line.Contains(Warning));
    }

    [LinuxTheory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task The_kernel_reads_the_command_line_e820_initrd_mp_and_acpi_tables(int cpus)
    {
        string initrd = Kernel("initramfs.cpio.gz");
        var log = await BootVmlinuxAsync(cpus, initrd, stopAtLine: "smpboot: Allowing");

        string pvmWorkaround = TestEnvironment.IsPvmHost ? " clearcpuid=xsave" : "";
        Assert.Equal(
            // Core's default, then the devices' in the order they attach (i8042, serial), then pci=off: this VM has no PCI device.
            $"panic=1 reboot=k i8042.noaux i8042.nomux i8042.dumbkbd console=ttyS0 pci=off{pvmWorkaround} {EarlyPrintk}",
            log.After("Command line: "));
        Assert.Equal(
            [
                "[mem 0x0000000000000000-0x000000000009fbff] usable",
                "[mem 0x000000000009fc00-0x00000000000fffff] reserved",
                "[mem 0x0000000000100000-0x000000001fffffff] usable",
            ],
            log.AllAfter("BIOS-e820: "));
        // Glue puts the initrd as high as it goes below the top of RAM (512 MiB), page aligned.
        ulong size = (ulong)new FileInfo(initrd).Length;
        ulong start = (0x2000_0000 - size) & ~0xfffUL;
        ulong end = ((start + size + 0xfff) & ~0xfffUL) - 1;
        Assert.Equal($"[mem 0x{start:x8}-0x{end:x8}]", log.After("RAMDISK: "));
        Assert.Equal("[mem 0x0009fc00-0x0009fc0f]", log.After("found SMP MP-table at "));
        Assert.StartsWith("0x00000000000E0000 000024 (v02 GLUE  )", log.After("ACPI: RSDP "));
        foreach (var table in new[] { "XSDT", "FACP", "APIC", "DSDT" })
            Assert.Contains("GLUE   GLUEVM", log.After($"ACPI: {table} "));
        Assert.Equal($"apic_id {cpus}, version 17, address 0xfec00000, GSI 0-23", log.After("IOAPIC[0]: "));
        Assert.Equal($"Allowing {cpus} CPUs, 0 hotplug CPUs", log.After("smpboot: "));
    }

    /// <summary>acpi_early_init re-reads every table with its checksum; the FPU is set up after it.</summary>
    [LinuxFact]
    public async Task The_kernel_takes_the_acpi_tables_without_complaint()
    {
        var log = await BootVmlinuxAsync(2, Kernel("initramfs.cpio.gz"), stopAtLine: "x86/fpu: ");
        Assert.NotNull(log.After("ACPI: Core revision "));
        Assert.Empty(log.AllAfter("ACPI BIOS Error"));
        Assert.Empty(log.AllAfter("ACPI Error"));
        Assert.Empty(log.AllAfter("ACPI Warning"));
        Assert.Empty(log.AllAfter("Incorrect checksum"));
    }

    [FullLinuxBootFact]
    public async Task The_kernel_boots_to_its_shell_and_poweroff_ends_glue()
    {
        var run = await GlueBinary.RunAsync(
            ["run", "-k", Kernel("vmlinuz"), "-c", "2", "-m", "512", "-i", Kernel("initramfs.cpio.gz")], TimeSpan.FromMinutes(2));
        Assert.Contains("GLUE-LINUX-SHELL ready", run.Stdout);
        Assert.Contains("GLUE-LINUX-DONE", run.Stdout);
        Assert.Equal(0, run.ExitCode);
    }

    private static async Task<KernelLog> BootVmlinuxAsync(int cpus, string initrd, string stopAtLine)
    {
        var run = await GlueBinary.RunAsync(
            ["run", "-k", Kernel("vmlinux"), "-c", $"{cpus}", "-m", "512", "-i", initrd, "-p", EarlyPrintk], EarlyBootLimit, stopAtLine);
        Assert.Contains(run.Stdout, line => line.Contains(stopAtLine));
        return new KernelLog(run.Stdout);
    }
}
