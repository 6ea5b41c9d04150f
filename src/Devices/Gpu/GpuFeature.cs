using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Display;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Gpu.GpuFeature))]

namespace Glue.Devices.Gpu;

/// <summary>
/// `--gpu [width=W,height=H,max-memory=SIZE]`: a virtio-gpu device (2D) whose scanout is the VM's display
/// (<see cref="GuestDisplay"/>), where display servers and screenshots read it. Without a machine (`glue device
/// gpu`) the device gets a display of its own.
/// </summary>
public sealed class GpuFeature : IVirtioDeviceFeature, IMachineSetup
{
    public const string Option = "--gpu";
    private GpuDevice? _device;
    private bool _setUp;

    public string Name => "gpu";

    public IReadOnlyList<DeviceOption> Options { get; } =
        [new(Option, "A virtio-gpu display (2D): `--gpu` or --gpu width=W,height=H (default 1280x800),max-memory=SIZE (host memory for the guest's resources, default 256M)")];

    public void Setup(VirtualMachine machine, DeviceOptionValues values)
    {
        _setUp = true;
        _device = Make(GuestDisplay.Of(machine), values);
    }

    /// <summary>The device Setup made, for `glue run`; without a machine, one on a display of its own.</summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        var device = _setUp ? _device : Make(new GuestDisplay(), values);
        return device is null ? [] : [device];
    }

    /// <summary>The device on <paramref name="display"/>, or null when --gpu is absent or off.</summary>
    private static GpuDevice? Make(GuestDisplay display, DeviceOptionValues values) =>
        values.Single(Option) switch
        {
            null or "off" => null,
            var value => new GpuDevice(display.Surface, GpuOptions.Parse(Option, value)),
        };
}
