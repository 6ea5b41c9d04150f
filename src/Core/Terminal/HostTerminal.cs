using Glue.Core.Devices;

namespace Glue.Core.Terminal;

/// <summary>
/// Which device owns this process's terminal (stdin to the guest, the guest's output to stdout): exactly one.
/// A device the user picked (`--console virtio`) claims it in <see cref="IMachineSetup.Setup"/>, before any
/// device attaches; the serial port takes it by default when nobody did. A device that does not own the
/// terminal must not read stdin or write stdout.
/// </summary>
public static class HostTerminal
{
    private static readonly object Gate = new();
    private static string? _owner;

    /// <summary>The device that owns the terminal, or null while nobody has taken it.</summary>
    public static string? Owner
    {
        get { lock (Gate) return _owner; }
    }

    /// <summary>The user chose <paramref name="device"/> as the console; a second, different claim is bad input.</summary>
    public static void Claim(string device)
    {
        lock (Gate)
        {
            if (_owner is not null && _owner != device)
                throw new DeviceConfigException($"the terminal is already {_owner}'s console; {device} cannot have it too");
            _owner = device;
        }
    }

    /// <summary>The default console takes the terminal unless another device claimed it; true when it owns it.</summary>
    public static bool TakeDefault(string device)
    {
        lock (Gate)
        {
            _owner ??= device;
            return _owner == device;
        }
    }
}
