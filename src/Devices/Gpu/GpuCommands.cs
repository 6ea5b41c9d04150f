using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Display;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Devices.Gpu;

/// <summary>
/// The 2D command set (virtio 1.2 §5.7.6.8, §5.7.6.9), parsed and executed in one place: a request is a span of
/// bytes (the chain's readable part, copied once out of guest memory), the answer is written into a span. Every
/// field is the guest's and is checked before use; a request that breaks a rule gets its VIRTIO_GPU_RESP_ERR_*
/// and changes nothing. Nothing here allocates on the transfer and flush paths.
/// </summary>
public sealed class GpuCommands
{
    /// <summary>QEMU's limit on one backing list; a 4096 x 4096 resource in 4 KiB pages needs 16384.</summary>
    public const uint MaxBackingEntries = 16384;

    /// <summary>The longest request: ATTACH_BACKING with the most entries.</summary>
    public static readonly int MaxRequestBytes = Unsafe.SizeOf<VirtioGpuResourceAttachBacking>() + (int)MaxBackingEntries * Unsafe.SizeOf<VirtioGpuMemEntry>();

    /// <summary>The longest response: GET_EDID's.</summary>
    public static readonly int MaxResponseBytes = Unsafe.SizeOf<VirtioGpuRespEdidHead>() + EdidBytes;

    private static readonly int HeaderBytes = Unsafe.SizeOf<VirtioGpuCtrlHdr>();

    private readonly GuestMemory _memory;
    private readonly GpuResourceTable _resources;
    private readonly GpuScanout _scanout;
    private readonly int _width, _height;
    private readonly bool _edid;

    /// <param name="memory">Where backing lives.</param>
    /// <param name="surface">Scanout 0's display.</param>
    /// <param name="width">The mode GET_DISPLAY_INFO and GET_EDID offer.</param>
    /// <param name="maxResourceBytes">The bound on host memory for resources.</param>
    /// <param name="edid">VIRTIO_GPU_F_EDID was negotiated: GET_EDID is a command.</param>
    public GpuCommands(GuestMemory memory, DisplaySurface surface, int width, int height, ulong maxResourceBytes, bool edid)
    {
        _memory = memory;
        _scanout = new GpuScanout(surface);
        _resources = new GpuResourceTable(maxResourceBytes);
        _width = width;
        _height = height;
        _edid = edid;
    }

    /// <summary>Resources alive and the host bytes charged to them (for tests and diagnostics).</summary>
    internal GpuResourceTable Resources => _resources;

    /// <summary>Scanout 0: the resource shown, and which part of it.</summary>
    internal GpuScanout Scanout => _scanout;

    /// <summary>
    /// One control queue request; writes the response into <paramref name="response"/> (at least
    /// <see cref="MaxResponseBytes"/>) and returns its length.
    /// </summary>
    public int ExecuteControl(ReadOnlySpan<byte> request, Span<byte> response)
    {
        if (!TryRead(request, out VirtioGpuCtrlHdr hdr)) return Answer(response, default, VIRTIO_GPU_RESP_ERR_UNSPEC);
        return hdr.Type switch
        {
            VIRTIO_GPU_CMD_GET_DISPLAY_INFO => DisplayInfo(hdr, response),
            VIRTIO_GPU_CMD_GET_EDID when _edid => GetEdid(request, hdr, response),
            _ => Answer(response, hdr, hdr.Type switch
            {
                VIRTIO_GPU_CMD_RESOURCE_CREATE_2D => Create2d(request),
                VIRTIO_GPU_CMD_RESOURCE_UNREF => Unref(request),
                VIRTIO_GPU_CMD_SET_SCANOUT => SetScanout(request),
                VIRTIO_GPU_CMD_RESOURCE_FLUSH => Flush(request),
                VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D => Transfer(request),
                VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING => AttachBacking(request),
                VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING => DetachBacking(request),
                _ => VIRTIO_GPU_RESP_ERR_UNSPEC,   // unknown, 3D, or GET_EDID without the feature
            }),
        };
    }

    /// <summary>One cursor queue request (§5.7.6.10); the answer, OK_NODATA or an error, for a driver that gave room for one.</summary>
    public int ExecuteCursor(ReadOnlySpan<byte> request, Span<byte> response)
    {
        if (!TryRead(request, out VirtioGpuUpdateCursor cursor))
        {
            TryRead(request, out VirtioGpuCtrlHdr hdr);
            return Answer(response, hdr, VIRTIO_GPU_RESP_ERR_UNSPEC);
        }
        return Answer(response, cursor.Hdr, Cursor(cursor));
    }

    private uint Cursor(in VirtioGpuUpdateCursor cursor)
    {
        if (cursor.Pos.ScanoutId != 0) return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
        int x = (int)cursor.Pos.X, y = (int)cursor.Pos.Y;   // a cursor partly off the left or top edge is negative
        switch (cursor.Hdr.Type)
        {
            case VIRTIO_GPU_CMD_MOVE_CURSOR:
                _scanout.MoveCursor(x, y);
                return VIRTIO_GPU_RESP_OK_NODATA;
            case VIRTIO_GPU_CMD_UPDATE_CURSOR when cursor.ResourceId == 0:
                _scanout.SetCursor(null, 0, 0, x, y);
                return VIRTIO_GPU_RESP_OK_NODATA;
            case VIRTIO_GPU_CMD_UPDATE_CURSOR:
                if (_resources.Find(cursor.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
                if (resource.Width > GpuScanout.MaxCursorSide || resource.Height > GpuScanout.MaxCursorSide) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
                _scanout.SetCursor(resource, cursor.HotX, cursor.HotY, x, y);
                return VIRTIO_GPU_RESP_OK_NODATA;
            default:
                return VIRTIO_GPU_RESP_ERR_UNSPEC;
        }
    }

    /// <summary>The device was reset: every resource and its backing is gone, the display goes black and the cursor away.</summary>
    public void Reset()
    {
        _scanout.Disable();
        _scanout.SetCursor(null, 0, 0, 0, 0);
        _resources.Clear();
    }

    private int DisplayInfo(in VirtioGpuCtrlHdr hdr, Span<byte> response)
    {
        int length = HeaderBytes + VIRTIO_GPU_MAX_SCANOUTS * Unsafe.SizeOf<VirtioGpuDisplayOne>();
        response[..length].Clear();
        var mode = new VirtioGpuDisplayOne { R = new VirtioGpuRect { Width = (uint)_width, Height = (uint)_height }, Enabled = 1 };
        MemoryMarshal.Write(response[HeaderBytes..], in mode);
        Answer(response, hdr, VIRTIO_GPU_RESP_OK_DISPLAY_INFO);
        return length;
    }

    private int GetEdid(ReadOnlySpan<byte> request, in VirtioGpuCtrlHdr hdr, Span<byte> response)
    {
        if (!TryRead(request, out VirtioGpuCmdGetEdid get)) return Answer(response, hdr, VIRTIO_GPU_RESP_ERR_UNSPEC);
        if (get.Scanout != 0) return Answer(response, hdr, VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID);
        int head = Unsafe.SizeOf<VirtioGpuRespEdidHead>();
        response[..(head + EdidBytes)].Clear();
        Edid.Write(_width, _height, response[head..]);
        BinaryPrimitives.WriteUInt32LittleEndian(response[HeaderBytes..], Edid.BlockBytes);   // size; padding stays 0
        Answer(response, hdr, VIRTIO_GPU_RESP_OK_EDID);
        return head + EdidBytes;
    }

    private uint Create2d(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuResourceCreate2d c)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (c.ResourceId == 0 || _resources.Exists(c.ResourceId)) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (!GpuPixelFormat.IsKnown(c.Format) || c.Width == 0 || c.Height == 0) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        if (!_resources.CanCreate(c.Width, c.Height)) return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
        _resources.Create(c.ResourceId, c.Format, c.Width, c.Height);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    private uint Unref(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuResourceUnref u)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (_resources.Find(u.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (_scanout.Resource == resource) _scanout.Disable();
        _resources.Remove(resource);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    private uint SetScanout(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuSetScanout s)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (s.ScanoutId != 0) return VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID;
        if (s.ResourceId == 0)
        {
            _scanout.Disable();
            return VIRTIO_GPU_RESP_OK_NODATA;
        }
        if (_resources.Find(s.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (s.R.Width == 0 || s.R.Height == 0 || s.R.Width > DisplaySurface.MaxSide || s.R.Height > DisplaySurface.MaxSide || !resource.Contains(s.R))
            return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        _scanout.Show(resource, s.R);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    private uint Flush(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuResourceFlush f)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (_resources.Find(f.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (!resource.Contains(f.R)) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        _scanout.Flush(resource, f.R);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    private uint Transfer(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuTransferToHost2d t)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (_resources.Find(t.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (!resource.HasBacking) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (!resource.Contains(t.R)) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return resource.TransferFromBacking(_memory, t.R, t.Offset) ? VIRTIO_GPU_RESP_OK_NODATA : VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }

    private uint AttachBacking(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuResourceAttachBacking a)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (_resources.Find(a.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (resource.HasBacking) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (a.NrEntries == 0 || a.NrEntries > MaxBackingEntries) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        int head = Unsafe.SizeOf<VirtioGpuResourceAttachBacking>();
        int bytes = (int)a.NrEntries * Unsafe.SizeOf<VirtioGpuMemEntry>();
        if (request.Length - head < bytes) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        var entries = MemoryMarshal.Cast<byte, VirtioGpuMemEntry>(request.Slice(head, bytes));
        foreach (ref readonly var entry in entries)
        {
            if (!InGuestRam(entry.Addr, entry.Length)) return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        }
        if (!_resources.CanAttach(a.NrEntries)) return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
        _resources.Attach(resource, entries);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    private uint DetachBacking(ReadOnlySpan<byte> request)
    {
        if (!TryRead(request, out VirtioGpuResourceUnref d)) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        if (_resources.Find(d.ResourceId) is not { } resource) return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        if (!resource.HasBacking) return VIRTIO_GPU_RESP_ERR_UNSPEC;
        _resources.Detach(resource);
        return VIRTIO_GPU_RESP_OK_NODATA;
    }

    /// <summary>True when [address, address+length) lies wholly inside one guest RAM region (wrap-around refused).</summary>
    private bool InGuestRam(ulong address, uint length)
    {
        foreach (var region in _memory.Regions)
        {
            if (region.Contains(new GuestAddress(address), length)) return true;
        }
        return false;
    }

    /// <summary>
    /// Writes a response header of <paramref name="type"/> for request <paramref name="hdr"/>: a fenced request's
    /// fence id and context come back with the flag (§5.7.6.7; the command is done when we answer, so is its fence).
    /// </summary>
    private static int Answer(Span<byte> response, in VirtioGpuCtrlHdr hdr, uint type)
    {
        var answer = new VirtioGpuCtrlHdr { Type = type };
        if ((hdr.Flags & VIRTIO_GPU_FLAG_FENCE) != 0)
        {
            answer.Flags = VIRTIO_GPU_FLAG_FENCE;
            answer.FenceId = hdr.FenceId;
            answer.CtxId = hdr.CtxId;
        }
        MemoryMarshal.Write(response, in answer);
        return HeaderBytes;
    }

    private static bool TryRead<T>(ReadOnlySpan<byte> request, out T value) where T : unmanaged =>
        MemoryMarshal.TryRead(request, out value);
}
