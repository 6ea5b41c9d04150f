using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Glue.Core.Memory;
using Glue.Devices.Gpu;
using Glue.Display;
using Glue.Tests.Virtio;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Tests.Devices.Gpu;

/// <summary>
/// A GPU's command set over the test guest RAM (1 MiB at 0, 64 KiB at 2 MiB), its display, and what the display's
/// listeners were told. Requests are built as the guest's structs and answered as bytes, the way the device sees them.
/// </summary>
public abstract class GpuTestBase : VirtioTestBase
{
    protected const int Width = 64, Height = 48;

    protected GpuTestBase(ulong maxMemory = 1 << 20, bool edid = true)
    {
        Surface = new DisplaySurface(Width, Height);
        Listening = Surface.Subscribe(Seen);
        Commands = new GpuCommands(Memory, Surface, Width, Height, maxMemory, edid);
    }

    protected DisplaySurface Surface { get; }

    protected GpuCommands Commands { get; }

    protected RecordingListener Seen { get; } = new();

    /// <summary>Seen's subscription to the surface.</summary>
    protected IDisposable Listening { get; }

    protected static VirtioGpuCtrlHdr Hdr(uint type, ulong? fence = null) =>
        new() { Type = type, Flags = fence is null ? 0 : VIRTIO_GPU_FLAG_FENCE, FenceId = fence ?? 0 };

    protected static VirtioGpuRect Rect(uint x, uint y, uint width, uint height) => new() { X = x, Y = y, Width = width, Height = height };

    /// <summary>Runs one control request; returns the response's bytes.</summary>
    protected byte[] RunBytes(ReadOnlySpan<byte> request)
    {
        var response = new byte[GpuCommands.MaxResponseBytes];
        int length = Commands.ExecuteControl(request, response);
        return response[..length];
    }

    protected VirtioGpuCtrlHdr Run<T>(T request) where T : unmanaged => MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(AsBytes(request)));

    protected uint Status<T>(T request) where T : unmanaged => Run(request).Type;

    protected static byte[] AsBytes<T>(T value) where T : unmanaged => MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)).ToArray();

    protected uint Create(uint id, uint width, uint height, uint format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM) =>
        Status(new VirtioGpuResourceCreate2d { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D), ResourceId = id, Format = format, Width = width, Height = height });

    protected uint Attach(uint id, params (ulong Address, uint Length)[] entries) => AttachRaw(id, (uint)entries.Length, entries);

    /// <summary>ATTACH_BACKING claiming <paramref name="nrEntries"/> entries, followed by <paramref name="entries"/>.</summary>
    protected uint AttachRaw(uint id, uint nrEntries, (ulong Address, uint Length)[] entries)
    {
        var head = new VirtioGpuResourceAttachBacking { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING), ResourceId = id, NrEntries = nrEntries };
        var list = entries.Select(e => new VirtioGpuMemEntry { Addr = e.Address, Length = e.Length }).ToArray();
        byte[] request = [.. AsBytes(head), .. MemoryMarshal.AsBytes(list.AsSpan())];
        return MemoryMarshal.Read<VirtioGpuCtrlHdr>(RunBytes(request)).Type;
    }

    protected uint Transfer(uint id, VirtioGpuRect r, ulong offset) =>
        Status(new VirtioGpuTransferToHost2d { Hdr = Hdr(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D), R = r, Offset = offset, ResourceId = id });

    protected uint SetScanout(uint id, VirtioGpuRect r, uint scanout = 0) =>
        Status(new VirtioGpuSetScanout { Hdr = Hdr(VIRTIO_GPU_CMD_SET_SCANOUT), R = r, ScanoutId = scanout, ResourceId = id });

    protected uint Flush(uint id, VirtioGpuRect r) =>
        Status(new VirtioGpuResourceFlush { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_FLUSH), R = r, ResourceId = id });

    protected uint Unref(uint id) => Status(new VirtioGpuResourceUnref { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_UNREF), ResourceId = id });

    protected uint Detach(uint id) => Status(new VirtioGpuResourceUnref { Hdr = Hdr(VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING), ResourceId = id });

    protected uint Cursor(uint type, uint id, uint x, uint y, uint hotX = 0, uint hotY = 0, uint scanout = 0)
    {
        var request = new VirtioGpuUpdateCursor
        {
            Hdr = Hdr(type), Pos = new VirtioGpuCursorPos { ScanoutId = scanout, X = x, Y = y }, ResourceId = id, HotX = hotX, HotY = hotY,
        };
        var response = new byte[GpuCommands.MaxResponseBytes];
        Commands.ExecuteCursor(AsBytes(request), response);
        return MemoryMarshal.Read<VirtioGpuCtrlHdr>(response).Type;
    }

    /// <summary>Writes <paramref name="pixels"/> (little-endian uint32 each) to guest memory at <paramref name="address"/>.</summary>
    protected void WritePixels(ulong address, uint[] pixels) => Memory.Write(new GuestAddress(address), MemoryMarshal.AsBytes(pixels.AsSpan()));

    /// <summary>A resource of the display's size in B8G8R8X8 with backing at <see cref="VirtioTestBase.Buffers"/>, filled with <paramref name="pixel"/>(x, y), transferred and shown.</summary>
    protected void ShowFrame(uint id, Func<int, int, uint> pixel)
    {
        var frame = new uint[Width * Height];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++) frame[y * Width + x] = pixel(x, y);
        WritePixels(Buffers, frame);
        Ok(Create(id, Width, Height));
        Ok(Attach(id, (Buffers, (uint)(frame.Length * 4))));
        Ok(Transfer(id, Rect(0, 0, Width, Height), 0));
        Ok(SetScanout(id, Rect(0, 0, Width, Height)));
    }

    protected static void Ok(uint status) => Xunit.Assert.Equal(VIRTIO_GPU_RESP_OK_NODATA, status);

    protected uint[] SurfacePixels()
    {
        lock (Surface.Lock) return Surface.Pixels.ToArray();
    }

    protected static int SizeOf<T>() where T : unmanaged => Unsafe.SizeOf<T>();
}

/// <summary>What a display's listener was told, in order.</summary>
public sealed class RecordingListener : IDisplayListener
{
    public List<ScreenRect> Damage { get; } = [];
    public List<(int Width, int Height)> Resizes { get; } = [];
    public int CursorChanges { get; private set; }

    public void Damaged(ScreenRect area) => Damage.Add(area);

    public void Resized(int width, int height) => Resizes.Add((width, height));

    public void CursorChanged() => CursorChanges++;
}
