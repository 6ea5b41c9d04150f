using Glue.Core.Devices;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Rng.RngFeature))]

namespace Glue.Devices.Rng;

/// <summary>`--rng`: one virtio entropy device fed by the host's getrandom(2).</summary>
public sealed class RngFeature : IVirtioDeviceFeature
{
    public const string Option = "--rng";

    public string Name => "rng";

    public IReadOnlyList<DeviceOption> Options => [new(Option, "Give the guest an entropy device (virtio-rng) fed by the host's getrandom; `--rng` or `--rng on`")];

    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values) =>
        values.Single(Option) switch
        {
            null or "off" => [],
            "" or "on" => [new RngDevice()],
            var other => throw new DeviceConfigException($"--rng takes no value or on/off, not '{other}'"),
        };
}
