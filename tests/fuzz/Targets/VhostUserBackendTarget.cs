using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Memory;
using Glue.Devices.Block;
using Glue.Transports.VhostUser;
using Glue.Virtio.Events;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A session of requests to <see cref="VhostUserBackend"/> serving a virtio-blk device: each record is one
/// message (request, flags, payload) with the fds it names (a sealed 1 MiB memfd for SET_MEM_TABLE, eventfds
/// otherwise). Rings the input sets up run against the blk device on guest memory the input also fills. The
/// backend answers or refuses; an exception out of it is a finding.
/// </summary>
internal static partial class VhostUserBackendTarget
{
    private const int RamSize = 0x100000;
    private static readonly uint[] Requests =
    [
        VHOST_USER_GET_FEATURES, VHOST_USER_SET_FEATURES, VHOST_USER_SET_OWNER, VHOST_USER_RESET_OWNER, VHOST_USER_SET_MEM_TABLE,
        VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_VRING_BASE, VHOST_USER_GET_VRING_BASE, VHOST_USER_SET_VRING_KICK,
        VHOST_USER_SET_VRING_CALL, VHOST_USER_SET_VRING_ERR, VHOST_USER_GET_PROTOCOL_FEATURES, VHOST_USER_SET_PROTOCOL_FEATURES,
        VHOST_USER_GET_QUEUE_NUM, VHOST_USER_SET_VRING_ENABLE, VHOST_USER_GET_CONFIG, VHOST_USER_SET_CONFIG, VHOST_USER_GET_INFLIGHT_FD,
        VHOST_USER_RESET_DEVICE,
    ];

    private static readonly EventLoop Loop = new("fuzz-vhost-user");
    private static readonly SafeFd RamFd = SealedMemfd(RamSize);
    private static readonly GuestMemory Ram = new([new GuestRegion(new GuestAddress(0), RamSize, RamFd, 0)]);
    private static readonly EventFd Spare = new();
    private static readonly VhostUserBackend Backend = new(MakeDevice(), Loop, _ => { });

    public static void Run(byte[] data)
    {
        var input = new FuzzInput(data);
        var ram = Ram.GetSpan(new GuestAddress(0), RamSize);
        ram.Clear();
        int image = Math.Min(input.U16(), input.Remaining);
        input.Bytes(image).CopyTo(ram);
        Loop.Invoke(() =>
        {
            for (int records = 0; !input.AtEnd && records < 48; records++)
            {
                byte selector = input.Byte();
                uint request = selector < 0xf0 ? Requests[selector % Requests.Length] : selector;
                byte flags = input.Byte();
                int size = input.Byte() | (input.Byte() & 0x0f) << 8;
                var payload = input.Bytes(size).ToArray();
                int fdCount = Math.Min(flags >> 4, MaxFds);
                var fds = new SafeFd?[fdCount];
                for (int i = 0; i < fdCount; i++) fds[i] = Dup(request == VHOST_USER_SET_MEM_TABLE ? RamFd : Spare.Handle);
                uint headerFlags = VHOST_USER_VERSION | ((flags & 1) != 0 ? VHOST_USER_NEED_REPLY_MASK : 0);
                using var message = new VhostUserMessage(new VhostUserHeader(request, headerFlags, (uint)size), payload, fds);
                Backend.Handle(message);
            }
            Backend.Disconnect();
        });
    }

    private static BlockDevice MakeDevice()
    {
        string directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var file = File.OpenHandle(Path.Combine(directory, $"glue-fuzz-vhost-blk-{Environment.ProcessId}.img"), FileMode.Create, FileAccess.ReadWrite,
            FileShare.None, FileOptions.DeleteOnClose);
        RandomAccess.Write(file, new byte[1 << 20], 0);
        return new BlockDevice(new RawDiskImage(file, 1 << 20, readOnly: false, direct: null), "fuzz", workers: 0, pollWindow: TimeSpan.Zero);
    }

    private static SafeFd SealedMemfd(long size)
    {
        const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
        const int F_ADD_SEALS = 1033, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4;
        int fd = MemfdCreate("glue-fuzz-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0 || Ftruncate(fd, size) != 0 || Fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
            throw NativeError.FromLastError("memfd");
        return new SafeFd(fd);
    }

    private static SafeFd Dup(SafeFd fd)
    {
        int copy = FcntlDup(fd.Fd, 1030 /* F_DUPFD_CLOEXEC */, 3);
        if (copy < 0) throw NativeError.FromLastError("dup");
        return new SafeFd(copy);
    }

    [LibraryImport("libc", EntryPoint = "memfd_create", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MemfdCreate(string name, uint flags);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int Ftruncate(int fd, long length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlDup(int fd, int command, int minimum);
}
