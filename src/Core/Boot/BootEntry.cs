using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>The CPU mode a boot protocol starts the boot vCPU in.</summary>
public enum EntryMode
{
    /// <summary>PVH: 32-bit protected mode, paging off, EBX = hvm_start_info.</summary>
    Protected32,

    /// <summary>Linux 64-bit boot protocol: long mode on identity page tables, RSI = boot_params.</summary>
    Long64,
}

/// <summary>Where and how the boot vCPU starts: the one thing a boot loader hands to the vCPU setup; Linux says the kernel is Linux.</summary>
public sealed record BootEntry(EntryMode Mode, GuestAddress EntryPoint, GuestAddress BootInfo, bool Linux = false);
