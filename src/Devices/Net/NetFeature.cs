using Glue.Core.Devices;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Net.NetFeature))]

namespace Glue.Devices.Net;

/// <summary>`--net tap=NAME[,mac=MAC]`: one virtio-net device per occurrence, each on its own host TAP.</summary>
public sealed class NetFeature : IVirtioDeviceFeature
{
    public const string Option = "--net";

    public string Name => "net";

    public IReadOnlyList<DeviceOption> Options { get; } =
    [
        new(Option, "A virtio-net device on host TAP NAME (created for the VM, removed when it ends); " +
                    "MAC defaults to a random locally administered one: tap=NAME[,mac=MAC]", Repeatable: true),
    ];

    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        // Every value is checked before any TAP is created, and a failure removes the TAPs made before it.
        var requests = values.All(Option).Select(NetOptions.Parse).ToList();
        var duplicate = requests.GroupBy(r => r.TapName).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new DeviceConfigException($"--net: TAP '{duplicate.Key}' is given more than once");

        var devices = new List<VirtioNetDevice>();
        try
        {
            foreach (var request in requests)
                devices.Add(new VirtioNetDevice(Tap.Open(request.TapName, VirtioNet.HeaderSize), request.Mac ?? MacAddress.Generate()));
        }
        catch
        {
            foreach (var device in devices) device.Dispose();
            throw;
        }
        return devices;
    }
}
