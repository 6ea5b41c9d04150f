using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using Glue.Devices.Gpu;
using Glue.Display;
using Xunit;

namespace Glue.Tests.Devices.Gpu;

/// <summary>
/// The GPU's snapshot (GpuSnapshot): saved resources and scanout, replayed as commands on a new device over the same
/// guest RAM, show the same screen; a saved state the commands refuse is named, and a malformed one refused by field.
/// </summary>
public sealed class GpuSnapshotTests : GpuTestBase
{
    private static JsonObject ThroughText(JsonObject state) => (JsonObject)JsonNode.Parse(state.ToJsonString())!;

    [Fact]
    public void Replaying_a_saved_gpu_on_a_new_device_brings_the_screen_back()
    {
        ShowFrame(7, (x, y) => (uint)(x * 4 << 16 | y * 5 << 8 | 0x40));
        Ok(Create(9, 16, 16));
        var saved = ThroughText(GpuSnapshot.Save(Commands));

        var surface = new DisplaySurface(Width, Height);
        var restored = new GpuCommands(Memory, surface, Width, Height, 1 << 20, edid: true);
        Assert.Null(GpuSnapshot.Replay(restored, GpuSnapshot.Requests(saved)));

        Assert.Equal([7u, 9u], restored.Resources.All.Select(r => r.Id));
        Assert.Equal(7u, restored.Scanout.Resource!.Id);
        lock (surface.Lock) Assert.Equal(SurfacePixels(), surface.Pixels.ToArray());
    }

    [Fact]
    public void A_saved_backing_outside_guest_ram_is_refused_by_the_replayed_command()
    {
        ShowFrame(7, (_, _) => 0x123456);
        var saved = ThroughText(GpuSnapshot.Save(Commands));
        saved["resources"]![0]!["backing"]![0]![0] = JsonNode.Parse("1099511627776");

        var restored = new GpuCommands(Memory, new DisplaySurface(Width, Height), Width, Height, 1 << 20, edid: true);
        Assert.Contains("command 0x106 was refused", GpuSnapshot.Replay(restored, GpuSnapshot.Requests(saved)));
        Assert.Null(restored.Scanout.Resource);
    }

    [Fact]
    public void A_malformed_saved_resource_is_refused_naming_its_field()
    {
        var saved = ThroughText(GpuSnapshot.Save(Commands));
        saved["resources"]!.AsArray().Add(JsonNode.Parse("{\"id\": 1, \"format\": 2, \"width\": \"wide\", \"height\": 4, \"backing\": []}"));
        Assert.Contains("'width' is missing or is not", Assert.Throws<SnapshotException>(() => GpuSnapshot.Requests(saved)).Message);
    }
}
