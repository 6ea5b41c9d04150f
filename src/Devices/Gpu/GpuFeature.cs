using Glue.Core.Devices;
using Glue.Core.Machine;
using Glue.Display;
using Glue.Display.Vnc;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Gpu.GpuFeature))]

namespace Glue.Devices.Gpu;

/// <summary>
/// `--gpu [width=W,height=H,max-memory=SIZE] [--vnc ADDRESS[,password-file=PATH][,connections=N][,insecure]]`: a virtio-gpu device (2D) whose
/// scanout is the VM's display (<see cref="GuestDisplay"/>), where display servers and screenshots read it, and a VNC
/// server of that display. Without a machine (`glue device gpu`) the device is implied and draws on the process's display.
/// </summary>
public sealed class GpuFeature : IVirtioDeviceFeature, IMachineSetup, IDisplayFeature
{
    public const string Option = "--gpu";
    public const string VncOption = "--vnc";
    private GpuDevice? _device;
    private bool _setUp;

    public string Name => "gpu";

    public IReadOnlyList<DeviceOption> Options { get; } =
    [
        new(Option, "A virtio-gpu display (2D): --gpu, or --gpu width=W,height=H (default 1280x800),max-memory=SIZE (host memory for the guest's resources, default 256M)"),
        new(VncOption, "Serve the --gpu display over VNC: --vnc :N (127.0.0.1, port 5900+N), HOST:PORT or unix:PATH, with ,password-file=PATH for VNC authentication (required off loopback unless ,insecure), ,connections=N (default 16)"),
    ];

    public void Check(DeviceOptionValues values) => Parse(values, values.Single(Option));

    public void Setup(IVmServices machine, DeviceOptionValues values)
    {
        _setUp = true;
        _device = Make(() => GuestDisplay.Of(machine), values, values.Single(Option));
        if (_device is null) return;
        machine.Own(_device);
        GuestDisplay.Of(machine).ServeScreenshots(machine);
    }

    /// <summary>The device Setup made, for `glue run`; without a machine (`glue device gpu`), one on the process's display.</summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        var device = _setUp ? _device : Make(() => GuestDisplay.OfProcess, values, values.Single(Option) ?? "");
        return device is null ? [] : [device];
    }

    /// <summary>
    /// The device's settings and the VNC server's address, or null when --gpu is absent or off (then no display is
    /// made). Every value is checked here, before the server binds its address, so a bad one leaves nothing behind.
    /// </summary>
    private static (GpuOptions Options, VncEndpoint? Vnc)? Parse(DeviceOptionValues values, string? gpu)
    {
        string? vnc = values.Single(VncOption);
        if (gpu is null or "off")
        {
            if (vnc is not null) throw new DeviceConfigException($"{VncOption} shows the guest's display: add {Option}");
            return null;
        }
        var options = GpuOptions.Parse(Option, gpu);
        if (vnc is null) return (options, null);
        var endpoint = VncEndpoint.Parse(vnc);
        // The password file is input too: read here to refuse a missing or empty one; the server reads it again as it starts.
        endpoint.ReadPassword();
        return (options, endpoint);
    }

    /// <summary>The device on <paramref name="displayOf"/>'s display with its VNC server, or null when --gpu is absent or off.</summary>
    private static GpuDevice? Make(Func<GuestDisplay> displayOf, DeviceOptionValues values, string? gpu)
    {
        if (Parse(values, gpu) is not (var options, var endpoint)) return null;
        var display = displayOf();
        var device = new GpuDevice(display.Surface, options);
        if (endpoint is not null) device.Own(VncServer.Start(display, endpoint, values.VerboseLog));
        return device;
    }
}
