using Glue.Core.Interop;
using Glue.Core.Devices;

namespace Glue.Virtio;

/// <summary>
/// A transport that serves one virtio device to another VMM instead of placing it on a machine of ours: vhost-user,
/// where the other VMM (QEMU, Cloud Hypervisor) is the frontend that owns the guest and its queues live in its
/// memory. `glue device` uses it; `glue run` does not.
/// </summary>
public interface IVirtioBackendFeature : IDeviceFeature
{
    /// <summary>
    /// Starts listening at <paramref name="socketPath"/> for <paramref name="device"/>'s frontend; a path that cannot
    /// be used throws <see cref="DeviceConfigException"/>. Nothing is served until <see cref="IVirtioBackend.Serve"/>.
    /// </summary>
    /// <param name="log">Where problems with a frontend are reported (one line each); with <paramref name="verbose"/> also connects and disconnects.</param>
    /// <param name="allowUnsealedMemory">
    /// Accept guest memory the frontend could still shrink under us (a file not sealed with F_SEAL_SHRINK); by
    /// default such memory is refused, since an access past a shrunk file's end kills the process (SIGBUS).
    /// </param>
    /// <param name="displaySocket">
    /// Takes the socket a frontend hands over for the device's display protocol (vhost-user's GPU_SET_SOCKET) and
    /// returns null, or the reason it refuses it; it owns the fd either way. Without it the request is refused.
    /// </param>
    IVirtioBackend Listen(string socketPath, IVirtioDevice device, Action<string> log, bool verbose, bool allowUnsealedMemory, Func<SafeFd, string?>? displaySocket = null);
}

/// <summary>One device being served; disposing it stops listening and removes the socket (the device stays the caller's).</summary>
public interface IVirtioBackend : IDisposable
{
    /// <summary>Serves frontends one after the other (a frontend that goes away is waited for again) until <see cref="Stop"/>.</summary>
    void Serve();

    /// <summary>Ends <see cref="Serve"/> from any thread (a signal handler): the frontend in session is disconnected.</summary>
    void Stop();
}
