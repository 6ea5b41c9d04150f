using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using static Glue.Devices.Gpu.VirtioGpu;

namespace Glue.Devices.Gpu;

/// <summary>
/// The GPU in a snapshot: each resource (id, format, size, the guest ranges of its backing) and what scanout 0 shows.
/// A restore gives them back by replaying the commands that made them (CREATE_2D, ATTACH_BACKING, a whole
/// TRANSFER_TO_HOST_2D, SET_SCANOUT) through <see cref="GpuCommands"/>, so a saved state passes every check a guest's
/// request does, and the pixels come back from the guest's own backing pages in the restored RAM. The pointer's image
/// comes back with the driver's next cursor update.
/// </summary>
internal static class GpuSnapshot
{
    public static JsonObject Save(GpuCommands commands)
    {
        var resources = new JsonArray();
        foreach (var resource in commands.Resources.All)
        {
            var backing = new JsonArray();
            foreach (var (address, length) in resource.Backing) backing.Add((JsonNode)new JsonArray(address, length));
            resources.Add((JsonNode)new JsonObject
            {
                ["id"] = resource.Id,
                ["format"] = resource.Format,
                ["width"] = resource.Width,
                ["height"] = resource.Height,
                ["backing"] = backing,
            });
        }
        var state = new JsonObject { ["resources"] = resources };
        if (commands.Scanout.Resource is { } shown)
        {
            var area = commands.Scanout.Area;
            state["scanout"] = new JsonObject { ["resource"] = shown.Id, ["x"] = area.X, ["y"] = area.Y, ["width"] = area.Width, ["height"] = area.Height };
        }
        return state;
    }

    /// <summary>The saved state as the requests that remake it; a field that is missing or not a number is refused here, before anything runs.</summary>
    public static byte[][] Requests(JsonObject state)
    {
        var requests = new List<byte[]>();
        var resources = state.Array("resources");
        for (int i = 0; i < resources.Count; i++)
        {
            var resource = resources[i] as JsonObject ?? throw new SnapshotException($"'resources[{i}]' is not an object");
            uint id = resource.U32("id");
            uint width = resource.U32("width"), height = resource.U32("height");
            requests.Add(Request(new VirtioGpuResourceCreate2d
            {
                Hdr = Header(VIRTIO_GPU_CMD_RESOURCE_CREATE_2D), ResourceId = id, Format = resource.U32("format"), Width = width, Height = height,
            }));
            var backing = resource.Array("backing");
            if (backing.Count == 0) continue;
            if (backing.Count > GpuCommands.MaxBackingEntries) throw new SnapshotException($"'resources[{i}].backing' has {backing.Count} entries, more than {GpuCommands.MaxBackingEntries}");
            var entries = new VirtioGpuMemEntry[backing.Count];
            for (int e = 0; e < entries.Length; e++)
            {
                var entry = backing[e] as JsonArray;
                if (entry is not { Count: 2 }) throw new SnapshotException($"'resources[{i}].backing[{e}]' is not [address, length]");
                ulong length = entry.U64At(1, $"resources[{i}].backing[{e}]");
                if (length > uint.MaxValue) throw new SnapshotException($"'resources[{i}].backing[{e}]' has a length of {length}");
                entries[e] = new VirtioGpuMemEntry { Addr = entry.U64At(0, $"resources[{i}].backing[{e}]"), Length = (uint)length };
            }
            var attach = Request(new VirtioGpuResourceAttachBacking { Hdr = Header(VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING), ResourceId = id, NrEntries = (uint)entries.Length });
            requests.Add([.. attach, .. MemoryMarshal.AsBytes(entries.AsSpan())]);
            requests.Add(Request(new VirtioGpuTransferToHost2d
            {
                Hdr = Header(VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D), R = new VirtioGpuRect { Width = width, Height = height }, ResourceId = id,
            }));
        }
        if (state["scanout"] is JsonObject scanout)
        {
            requests.Add(Request(new VirtioGpuSetScanout
            {
                Hdr = Header(VIRTIO_GPU_CMD_SET_SCANOUT),
                R = new VirtioGpuRect { X = scanout.U32("x"), Y = scanout.U32("y"), Width = scanout.U32("width"), Height = scanout.U32("height") },
                ResourceId = scanout.U32("resource"),
            }));
        }
        return [.. requests];
    }

    /// <summary>Runs the requests; the first the device refuses is named, and what came before it stays.</summary>
    public static string? Replay(GpuCommands commands, byte[][] requests)
    {
        var response = new byte[GpuCommands.MaxResponseBytes];
        foreach (var request in requests)
        {
            commands.ExecuteControl(request, response);
            var answer = MemoryMarshal.Read<VirtioGpuCtrlHdr>(response);
            if (answer.Type != VIRTIO_GPU_RESP_OK_NODATA)
                return $"the snapshot's command 0x{MemoryMarshal.Read<VirtioGpuCtrlHdr>(request).Type:x} was refused with 0x{answer.Type:x}";
        }
        return null;
    }

    private static VirtioGpuCtrlHdr Header(uint type) => new() { Type = type };

    private static byte[] Request<T>(T request) where T : unmanaged
    {
        var bytes = new byte[Unsafe.SizeOf<T>()];
        MemoryMarshal.Write(bytes, in request);
        return bytes;
    }
}
