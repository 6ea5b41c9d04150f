using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Memory;
using Glue.Tests.Virtio;
using Glue.Transports.VhostUser;
using Glue.Virtio;
using Glue.Virtio.Events;
using Xunit;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Tests.Transports.VhostUser;

/// <summary>
/// A vhost-user frontend in the test: one end of a socketpair, whose other end a <see cref="VhostUserSession"/>
/// serves on a thread of its own with a real <see cref="VhostUserBackend"/>. Guest RAM is a 1 MiB memfd that the
/// test maps too, so it can lay out rings with <see cref="MockSplitQueue"/> and hand the fd over with
/// SET_MEM_TABLE, as QEMU does with memory-backend-memfd. Guest-physical 0 is frontend user address
/// <see cref="UserBase"/>.
/// </summary>
internal sealed unsafe partial class FakeFrontend : IDisposable
{
    public const ulong MemorySize = 0x100000;
    public const ulong UserBase = 0x7f12_3400_0000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private readonly MessageSocket _socket;
    private readonly Task _session;

    /// <param name="sealedMemory">Seal the guest RAM memfd against resizing, as QEMU does by default.</param>
    /// <param name="allowUnsealedMemory">The backend's `--allow-unsealed-memory`.</param>
    public FakeFrontend(Func<EventLoop, IVirtioDevice> makeDevice, bool sealedMemory = true, bool allowUnsealedMemory = false)
    {
        int* pair = stackalloc int[2];
        if (SocketLibc.SocketPair(SocketLibc.AF_UNIX, SocketLibc.SOCK_STREAM | SocketLibc.SOCK_CLOEXEC, 0, pair) != 0)
            throw NativeError.FromLastError("socketpair");
        _socket = new MessageSocket(new SafeFd(pair[0]), null);
        var backendSocket = new MessageSocket(new SafeFd(pair[1]), null);

        MemFd = CreateMemFd(MemorySize, sealedMemory);
        Memory = new GuestMemory([new GuestRegion(new GuestAddress(0), MemorySize, MemFd, 0)]);
        Loop = new EventLoop("vhost-user-test");
        Device = makeDevice(Loop);
        Backend = new VhostUserBackend(Device, Loop, message => { lock (Log) Log.Add(message); }, allowUnsealedMemory);
        _session = Task.Run(() =>
        {
            using (backendSocket) VhostUserSession.Run(backendSocket, Backend, Loop, message => { lock (Log) Log.Add(message); });
        });
    }

    public SafeFd MemFd { get; }

    /// <summary>The frontend's own end of the vhost-user socket (a hostile frontend sends it as a ring fd).</summary>
    public int SocketFd => _socket.Handle.Fd;

    /// <summary>The test's own mapping of the guest RAM it shares.</summary>
    public GuestMemory Memory { get; }

    public EventLoop Loop { get; }
    public IVirtioDevice Device { get; }
    public VhostUserBackend Backend { get; }
    public List<string> Log { get; } = [];

    /// <summary>True once the backend has ended the session (its end of the socket is closed).</summary>
    public bool SessionEnded => _session.Wait(Limit);

    public void Send(uint request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default, bool needReply = false) =>
        _socket.Send(new VhostUserHeader(request, VHOST_USER_VERSION | (needReply ? VHOST_USER_NEED_REPLY_MASK : 0), (uint)payload.Length), payload, fds);

    public void SendRaw(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> fds = default) => _socket.SendRaw(bytes, fds);

    /// <summary>The backend's next message (a reply), or null when it closed the connection.</summary>
    public VhostUserMessage? Receive()
    {
        // A backend that closes with our bytes unread makes the kernel reset the connection: that is a close too.
        var read = Task.Run(() =>
        {
            try
            {
                return _socket.Receive();
            }
            catch (VhostUserDisconnect)
            {
                return null;
            }
        });
        Assert.True(read.Wait(Limit), "the backend did not answer");
        return read.Result;
    }

    /// <summary>Sends a request with NEED_REPLY and returns the REPLY_ACK's u64: 0 for success.</summary>
    public ulong Ack(uint request, ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds = default)
    {
        Send(request, payload, fds, needReply: true);
        using var reply = Receive();
        Assert.NotNull(reply);
        Assert.Equal(request, reply.Request);
        Assert.Equal(VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, reply.Header.Flags);
        Assert.Equal(8, reply.Payload.Length);
        return BitConverter.ToUInt64(reply.Payload);
    }

    /// <summary>A request whose answer is a payload (GET_*): returns it.</summary>
    public byte[] Get(uint request, ReadOnlySpan<byte> payload = default)
    {
        Send(request, payload);
        using var reply = Receive();
        Assert.NotNull(reply);
        Assert.Equal(request, reply.Request);
        return reply.Payload;
    }

    public ulong GetU64(uint request) => BitConverter.ToUInt64(Get(request));

    /// <summary>Everything a session starts with: features (the backend's offer), protocol features with REPLY_ACK, the memory table.</summary>
    public void Negotiate()
    {
        ulong features = GetU64(VHOST_USER_GET_FEATURES);
        Send(VHOST_USER_SET_FEATURES, U64(features));
        Send(VHOST_USER_SET_PROTOCOL_FEATURES, U64(GetU64(VHOST_USER_GET_PROTOCOL_FEATURES)));
        Assert.Equal(0UL, Ack(VHOST_USER_SET_OWNER, []));
        Assert.Equal(0UL, Ack(VHOST_USER_SET_MEM_TABLE, MemTable(new MemoryRegionMessage(0, MemorySize, UserBase, 0)), [MemFd.Fd]));
    }

    /// <summary>Configures ring <paramref name="index"/> on <paramref name="driver"/>'s rings and starts and enables it; its call and kick eventfds are returned.</summary>
    public (EventFd Call, EventFd Kick) StartRing(uint index, MockSplitQueue driver, ushort availBase = 0)
    {
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_NUM, State(index, driver.Size)));
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_BASE, State(index, availBase)));
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_ADDR, Addr(index, driver.DescTable.Value, driver.AvailRing.Value, driver.UsedRing.Value)));
        var call = new EventFd();
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_CALL, U64(index), [call.Handle.Fd]));
        var kick = new EventFd();
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_KICK, U64(index), [kick.Handle.Fd]));
        Assert.Equal(0UL, Ack(VHOST_USER_SET_VRING_ENABLE, State(index, 1)));
        // The ring's first notify, on start, may interrupt with nothing used (the first check always does).
        call.Drain();
        return (call, kick);
    }

    /// <summary>The driver makes one buffer available and kicks; returns once the backend has signalled <paramref name="call"/>.</summary>
    public static void OfferAndWait(MockSplitQueue driver, EventFd kick, EventFd call, (ulong Address, uint Length, bool Writable) buffer)
    {
        driver.AddChain(buffer);
        kick.Signal();
        WaitForCall(call);
    }

    /// <summary>Waits for <paramref name="call"/> to be signalled.</summary>
    public static void WaitForCall(EventFd call)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (call.Drain() == 0)
        {
            Assert.True(clock.Elapsed < Limit, "no used buffer notification");
            Thread.Sleep(5);
        }
    }

    // ---- Payloads.

    public static byte[] U64(ulong value) => BitConverter.GetBytes(value);

    public static byte[] State(uint index, uint num) => Bytes(new VringStateMessage(index, num));

    /// <summary>A vring address message from guest-physical addresses, sent as the frontend's user addresses.</summary>
    public static byte[] Addr(uint index, ulong desc, ulong avail, ulong used) =>
        Bytes(new VringAddrMessage(index, 0, UserBase + desc, UserBase + used, UserBase + avail, 0));

    public static byte[] MemTable(params MemoryRegionMessage[] regions)
    {
        var bytes = new byte[8 + regions.Length * Marshal.SizeOf<MemoryRegionMessage>()];
        BitConverter.TryWriteBytes(bytes, (uint)regions.Length);
        MemoryMarshal.AsBytes(regions.AsSpan()).CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    public static byte[] Bytes<T>(T value) where T : unmanaged
    {
        var bytes = new byte[Marshal.SizeOf<T>()];
        MemoryMarshal.Write(bytes, value);
        return bytes;
    }

    /// <summary>A memfd of <paramref name="size"/> bytes, sealed against resizing when <paramref name="sealed"/>, as QEMU's memory-backend-memfd seals by default.</summary>
    public static SafeFd CreateMemFd(ulong size, bool @sealed = true)
    {
        int fd = MemfdCreate("glue-test-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0) throw NativeError.FromLastError("memfd_create");
        var handle = new SafeFd(fd);
        if (Ftruncate(fd, (long)size) != 0) throw NativeError.FromLastError("ftruncate");
        if (@sealed && Fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0) throw NativeError.FromLastError("F_ADD_SEALS");
        return handle;
    }

    /// <summary>What a hostile frontend does after SET_MEM_TABLE: shrinks the file under the backend's mapping.</summary>
    public static int Shrink(SafeFd fd, long length) => Ftruncate(fd.Fd, length);

    private const uint MFD_CLOEXEC = 1;
    private const uint MFD_ALLOW_SEALING = 2;
    private const int F_ADD_SEALS = 1033;
    private const int F_SEAL_SHRINK = 2;
    private const int F_SEAL_GROW = 4;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    /// <summary>Closes the frontend's end, waits for the session to reset the backend, then stops everything.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        _session.Wait(Limit);
        Loop.Dispose();
        (Device as IDisposable)?.Dispose();
        Memory.Dispose();
        MemFd.Dispose();
    }
}
