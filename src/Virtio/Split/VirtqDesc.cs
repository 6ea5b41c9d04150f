using System.Runtime.InteropServices;

namespace Glue.Virtio.Split;

/// <summary>struct virtq_desc (virtio 1.2 §2.7.5): one entry of a descriptor table, 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtqDesc
{
    public ulong Addr;
    public uint Len;
    public ushort Flags;
    public ushort Next;

    public VirtqDesc(ulong addr, uint len, ushort flags = 0, ushort next = 0)
    {
        Addr = addr;
        Len = len;
        Flags = flags;
        Next = next;
    }

    public readonly bool HasFlag(ushort flag) => (Flags & flag) != 0;
}
