using System.Runtime.InteropServices;
using Glue.Core.Interop;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The checks every request goes through before the backend acts on it (payload size, fds it may carry, the
/// kind of fd), and the reply payloads. Each failed check throws <see cref="VhostUserException"/>.
/// </summary>
internal static class VhostUserRequest
{
    /// <summary>A request with exactly <paramref name="size"/> bytes of payload and no fds.</summary>
    public static void Expect(VhostUserMessage message, int size)
    {
        if (message.Payload.Length != size)
            throw new VhostUserException($"request {message.Request} has {message.Payload.Length} bytes of payload, not {size}");
        NoFds(message);
    }

    public static void NoFds(VhostUserMessage message)
    {
        if (message.Fds.Length != 0) throw new VhostUserException($"request {message.Request} came with {message.Fds.Length} fds it does not take");
    }

    /// <summary>
    /// SET_VRING_KICK/CALL/ERR: a u64 of ring index and NOFD flag, and exactly one fd unless NOFD. The fd is
    /// made non-blocking (so a read or write can never hang the device's thread) and must not be a socket: the
    /// frontend's own vhost-user socket as a kick fd would be read as kicks and keep its connection open after the
    /// frontend closed it.
    /// </summary>
    public static (int Index, SafeFd? Fd) RingFd(VhostUserMessage message, int ringCount)
    {
        if (message.Payload.Length != 8)
            throw new VhostUserException($"request {message.Request} has {message.Payload.Length} bytes of payload, not 8");
        ulong value = Read<ulong>(message.Payload);
        uint index = (uint)(value & VHOST_USER_VRING_IDX_MASK);
        bool noFd = (value & VHOST_USER_VRING_NOFD_MASK) != 0;
        CheckRing(index, ringCount);
        int expected = noFd ? 0 : 1;
        if (message.Fds.Length != expected) throw new VhostUserException($"ring {index}: request {message.Request} came with {message.Fds.Length} fds, not {expected}");
        var fd = noFd ? null : message.TakeFd(0);
        if (fd is null) return ((int)index, null);
        string? refusal = SocketLibc.IsSocket(fd.Fd)
            ? "a socket, not an eventfd"
            : SocketLibc.MakeNonBlocking(fd.Fd) != 0 ? "an fd that cannot be made non-blocking" : null;
        if (refusal is not null)
        {
            fd.Dispose();
            throw new VhostUserException($"ring {index}: request {message.Request} came with {refusal}");
        }
        return ((int)index, fd);
    }

    public static void CheckRing(uint index, int ringCount)
    {
        if (index >= ringCount) throw new VhostUserException($"ring {index} does not exist (the device has {ringCount})");
    }

    public static T Read<T>(byte[] payload) where T : unmanaged => MemoryMarshal.Read<T>(payload);

    public static VhostUserOutcome U64(ulong value) => VhostUserOutcome.Answer(BitConverter.GetBytes(value));

    public static VhostUserOutcome Answer<T>(T value) where T : unmanaged
    {
        var bytes = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(bytes, value);
        return VhostUserOutcome.Answer(bytes);
    }
}
