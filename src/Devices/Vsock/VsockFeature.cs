using System.Globalization;
using System.Net.Sockets;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Core.Machine;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Vsock.VsockFeature))]

namespace Glue.Devices.Vsock;

/// <summary>
/// `--vsock cid=N,uds=PATH`: a virtio-vsock device with guest CID N whose host side is Unix sockets (see
/// <see cref="VsockDevice"/>). Glue listens on PATH from start-up until the VM exits, then removes it. Bad
/// values (a CID below 3, a CID given twice or held by another VM, PATH in a missing directory or in use) are
/// one-line errors, and nothing is left behind.
/// </summary>
public sealed class VsockFeature : IVirtioDeviceFeature, IMachineSetup
{
    public const string VsockOption = "--vsock";
    private readonly List<VsockDevice> _devices = [];
    private bool _setUp;

    public string Name => "vsock";

    public IReadOnlyList<DeviceOption> Options { get; } =
        [new(VsockOption, "A virtio-vsock device: cid=N (3 or more, unique on this host),uds=PATH (Glue listens there; a guest connect to port P goes to PATH_P)", Repeatable: true)];

    public void Check(DeviceOptionValues values) => Specs(values);

    /// <summary>Made here rather than in Create, so that the machine owns them (and removes their sockets) even if attaching fails.</summary>
    public void Setup(IVmServices machine, DeviceOptionValues values)
    {
        _setUp = true;
        Open(values, machine.Own);
    }

    /// <summary>
    /// The devices Setup made, for `glue run`. Without a machine (`glue device` serving one to another VMM) the
    /// devices are made here, and the caller owns them.
    /// </summary>
    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        if (_setUp) return _devices;
        var devices = new List<VsockDevice>();
        try
        {
            Open(values, devices.Add);
        }
        catch
        {
            foreach (var device in devices) device.Dispose();
            throw;
        }
        _devices.Clear();
        return devices;
    }

    private void Open(DeviceOptionValues values, Action<VsockDevice> own)
    {
        foreach (var (cid, uds) in Specs(values))
        {
            var device = Open(cid, uds);
            own(device);
            _devices.Add(device);
        }
    }

    /// <summary>Every --vsock value, checked as far as it can be without taking its CID or binding its socket.</summary>
    private static List<(ulong Cid, string Uds)> Specs(DeviceOptionValues values)
    {
        var specs = values.All(VsockOption).Select(Parse).ToList();
        for (int i = 0; i < specs.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (specs[j].Cid == specs[i].Cid) throw new DeviceConfigException($"{VsockOption}: cid {specs[i].Cid} is given twice");
                if (specs[j].Uds == specs[i].Uds) throw new DeviceConfigException($"{VsockOption}: uds {specs[i].Uds} is given twice");
            }
        }
        foreach (var (_, uds) in specs) CheckUds(uds);
        return specs;
    }

    /// <summary>cid=N,uds=PATH, in either order.</summary>
    public static (ulong Cid, string Uds) Parse(string value)
    {
        ulong? cid = null;
        string? uds = null;
        foreach (var part in value.Split(','))
        {
            int equals = part.IndexOf('=');
            string key = equals < 0 ? part : part[..equals], v = equals < 0 ? "" : part[(equals + 1)..];
            switch (key)
            {
                case "cid" when ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n):
                    cid = n;
                    break;
                case "cid" when v.Length > 0 && v.All(char.IsAsciiDigit):
                    throw new DeviceConfigException($"{VsockOption}: cid {v} is out of range; use 3 to {uint.MaxValue - 1}");
                case "cid":
                    throw new DeviceConfigException($"{VsockOption} {value}: cid must be a number from 3 to {uint.MaxValue - 1}");
                case "uds" when v.Length > 0:
                    uds = Path.GetFullPath(v);
                    break;
                default:
                    throw new DeviceConfigException($"{VsockOption} {value}: expected cid=N,uds=PATH");
            }
        }
        if (cid is null || uds is null) throw new DeviceConfigException($"{VsockOption} {value}: expected cid=N,uds=PATH");
        // 0, 1 and 2 are the hypervisor, local and host; 0xffffffff is VMADDR_CID_ANY; CIDs are 32-bit (virtio 1.2 §5.10.4).
        if (cid > uint.MaxValue) throw new DeviceConfigException($"{VsockOption}: cid {cid} is out of range (CIDs are 32-bit); use 3 to {uint.MaxValue - 1}");
        if (cid < 3 || cid == uint.MaxValue) throw new DeviceConfigException($"{VsockOption}: cid {cid} is reserved; use 3 to {uint.MaxValue - 1}");
        return (cid.Value, uds);
    }

    /// <summary>PATH's directory exists, PATH leaves room for the port suffix, and nothing but a killed VM's socket is there.</summary>
    private static void CheckUds(string uds)
    {
        string? directory = Path.GetDirectoryName(uds);
        if (directory is null || !Directory.Exists(directory)) throw new DeviceConfigException($"{VsockOption}: directory {directory} of uds {uds} does not exist: create it or give a path in one that does");
        // A guest connect to port P goes to PATH_P: room for "_4294967295".
        if (UnixSocketPath.Problem(uds, $"{VsockOption} uds", suffixBytes: 11) is { } problem) throw new DeviceConfigException(problem);
        if ((File.Exists(uds) || Directory.Exists(uds)) && !UnixSocketPath.IsStale(uds)) throw new DeviceConfigException($"{VsockOption}: uds {uds} already exists (and is not a socket a killed glue left): remove it or choose another path");
    }

    private static VsockDevice Open(ulong cid, string uds)
    {
        var cidLock = CidLock.Acquire(cid);
        try
        {
            return new VsockDevice(cid, uds, Listen(uds), cidLock);
        }
        catch
        {
            cidLock.Dispose();
            throw;
        }
    }

    /// <summary>Binds PATH, replacing the socket file a killed VM left there (<see cref="CheckUds"/> let nothing else by).</summary>
    private static Socket Listen(string path)
    {
        // Probed again rather than deleted on CheckUds' word: a file that appeared since is left alone, and bind refuses it.
        if (UnixSocketPath.IsStale(path)) File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(64);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DeviceConfigException($"{VsockOption}: cannot listen on {path}: {e.Message}");
        }
    }
}
