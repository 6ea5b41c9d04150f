using System.Runtime.InteropServices;

namespace Glue.Devices.Gpu;

// The request and response layouts of §5.7.6, as in Linux's include/uapi/linux/virtio_gpu.h (all little-endian).

/// <summary>struct virtio_gpu_ctrl_hdr: every request and response starts with it.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuCtrlHdr
{
    public uint Type;
    public uint Flags;
    public ulong FenceId;
    public uint CtxId;
    public byte RingIdx;
    public byte Padding0, Padding1, Padding2;
}

/// <summary>struct virtio_gpu_rect.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuRect
{
    public uint X, Y, Width, Height;
}

/// <summary>struct virtio_gpu_resource_create_2d.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuResourceCreate2d
{
    public VirtioGpuCtrlHdr Hdr;
    public uint ResourceId, Format, Width, Height;
}

/// <summary>struct virtio_gpu_resource_unref, and struct virtio_gpu_resource_detach_backing (the same layout).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuResourceUnref
{
    public VirtioGpuCtrlHdr Hdr;
    public uint ResourceId, Padding;
}

/// <summary>struct virtio_gpu_set_scanout.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuSetScanout
{
    public VirtioGpuCtrlHdr Hdr;
    public VirtioGpuRect R;
    public uint ScanoutId, ResourceId;
}

/// <summary>struct virtio_gpu_resource_flush.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuResourceFlush
{
    public VirtioGpuCtrlHdr Hdr;
    public VirtioGpuRect R;
    public uint ResourceId, Padding;
}

/// <summary>struct virtio_gpu_transfer_to_host_2d: <see cref="Offset"/> is where the rectangle starts in the backing.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuTransferToHost2d
{
    public VirtioGpuCtrlHdr Hdr;
    public VirtioGpuRect R;
    public ulong Offset;
    public uint ResourceId, Padding;
}

/// <summary>struct virtio_gpu_resource_attach_backing: followed by nr_entries struct virtio_gpu_mem_entry.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuResourceAttachBacking
{
    public VirtioGpuCtrlHdr Hdr;
    public uint ResourceId, NrEntries;
}

/// <summary>struct virtio_gpu_mem_entry: one guest-physical range of a resource's backing.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuMemEntry
{
    public ulong Addr;
    public uint Length, Padding;
}

/// <summary>struct virtio_gpu_cursor_pos.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuCursorPos
{
    public uint ScanoutId, X, Y, Padding;
}

/// <summary>struct virtio_gpu_update_cursor: UPDATE_CURSOR and MOVE_CURSOR (which uses only the position).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuUpdateCursor
{
    public VirtioGpuCtrlHdr Hdr;
    public VirtioGpuCursorPos Pos;
    public uint ResourceId, HotX, HotY, Padding;
}

/// <summary>struct virtio_gpu_display_one: one entry of struct virtio_gpu_resp_display_info's pmodes.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuDisplayOne
{
    public VirtioGpuRect R;
    public uint Enabled, Flags;
}

/// <summary>struct virtio_gpu_cmd_get_edid.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuCmdGetEdid
{
    public VirtioGpuCtrlHdr Hdr;
    public uint Scanout, Padding;
}

/// <summary>struct virtio_gpu_resp_edid's fixed part: the header, then size and padding, then edid[1024].</summary>
[StructLayout(LayoutKind.Sequential)]
public struct VirtioGpuRespEdidHead
{
    public VirtioGpuCtrlHdr Hdr;
    public uint Size, Padding;
}
