namespace Glue;

/// <summary>What `glue run --help` says beyond the options, and the one note a PVM host gets for a Linux kernel.</summary>
internal static class RunHelp
{
    public const string Description =
        """
        Boot a VM in the foreground: its serial console is this terminal (Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A).
        When stdout is closed under it (glue run ... | head), the VM stops as by glue stop.

        Examples:
          glue run -k vmlinux -i initrd.cpio.gz -p "root=/dev/vda" -d disk.img -m 1G -c 2
          glue run -k bzImage -m 512M --disk data.img,ro --rng -n web
          glue run -k guest.elf --boot pvh
        """;

    /// <summary>PVM emulates guest CPL0 code: a stock Linux gets through its early boot, then stops (docs/booting-linux.md).</summary>
    public const string PvmLinuxWarning =
        "note: this host's /dev/kvm is PVM, where KVM emulates a kernel's privileged code and cannot run its INT/IRET: " +
        "Linux will print its early boot and then stop, without reaching user space (a host with hardware virtualization boots it fully)";
}
