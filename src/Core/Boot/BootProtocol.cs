namespace Glue.Core.Boot;

/// <summary>How the boot vCPU enters the kernel (`glue run --boot`).</summary>
public enum BootProtocol
{
    /// <summary>Linux 64-bit for Linux kernels (a bzImage, or an ELF with Linux notes); PVH for other ELFs that have the note.</summary>
    Auto,

    /// <summary>The PVH boot ABI: 32-bit entry with hvm_start_info (ELFs with the Xen PHYS32_ENTRY note).</summary>
    Pvh,

    /// <summary>The Linux 64-bit boot protocol: long mode with boot_params (the zero page) in RSI.</summary>
    Linux64,
}
