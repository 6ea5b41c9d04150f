using Glue.Core.Interop;
using Glue.Core.Devices;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Transports.VhostUser.VhostUserTransport))]

namespace Glue.Transports.VhostUser;

/// <summary>
/// vhost-user (QEMU docs/interop/vhost-user.rst) as a backend: `glue device NAME --socket PATH` serves one of
/// Glue's virtio devices to a frontend VMM that owns the guest. The device code is the one `glue run` uses.
/// </summary>
public sealed class VhostUserTransport : IVirtioBackendFeature
{
    public string Name => "vhost-user";

    /// <summary>None for `glue run`; `glue device` has its own --socket.</summary>
    public IReadOnlyList<DeviceOption> Options => [];

    public IVirtioBackend Listen(string socketPath, IVirtioDevice device, Action<string> log, bool verbose, bool allowUnsealedMemory, Func<SafeFd, string?>? displaySocket = null) =>
        VhostUserServer.Listen(socketPath, device, log, verbose, allowUnsealedMemory, displaySocket);
}
