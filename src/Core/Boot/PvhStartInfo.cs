using System.Runtime.InteropServices;
using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>struct hvm_start_info (xen/include/public/arch-x86/hvm/start_info.h), version 1.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct hvm_start_info
{
    public const uint XEN_HVM_START_MAGIC_VALUE = 0x336ec578;

    public uint magic;
    public uint version;
    public uint flags;
    public uint nr_modules;
    public ulong modlist_paddr;
    public ulong cmdline_paddr;
    public ulong rsdp_paddr;
    public ulong memmap_paddr;
    public uint memmap_entries;
    public uint reserved;
}

/// <summary>struct hvm_modlist_entry: one boot module (the initrd).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct hvm_modlist_entry
{
    public ulong paddr;
    public ulong size;
    public ulong cmdline_paddr;
    public ulong reserved;
}

/// <summary>struct hvm_memmap_table_entry: one memory-map range (types as E820).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct hvm_memmap_table_entry
{
    public ulong addr;
    public ulong size;
    public uint type;
    public uint reserved;
}

/// <summary>Writes the PVH start-of-day structures: the start info, the module list and the memory map.</summary>
public static class PvhStartInfo
{
    public static void Write(GuestMemory memory, IReadOnlyList<MemoryMapEntry> map, GuestAddress commandLine, LoadedInitrd? initrd, ulong rsdp = 0)
    {
        for (int i = 0; i < map.Count; i++)
        {
            var entry = new hvm_memmap_table_entry { addr = map[i].Start.Value, size = map[i].Size, type = (uint)map[i].Type };
            memory.Write(MemoryLayout.PvhMemoryMap.Offset((ulong)(i * Marshal.SizeOf<hvm_memmap_table_entry>())), entry);
        }
        if (initrd is { } module)
        {
            memory.Write(MemoryLayout.PvhModuleList, new hvm_modlist_entry { paddr = module.Address.Value, size = module.Size });
        }
        memory.Write(MemoryLayout.PvhStartInfo, new hvm_start_info
        {
            magic = hvm_start_info.XEN_HVM_START_MAGIC_VALUE,
            version = 1,
            nr_modules = initrd is null ? 0u : 1u,
            modlist_paddr = initrd is null ? 0 : MemoryLayout.PvhModuleList.Value,
            cmdline_paddr = commandLine.Value,
            rsdp_paddr = rsdp,
            memmap_paddr = MemoryLayout.PvhMemoryMap.Value,
            memmap_entries = (uint)map.Count,
        });
    }
}
