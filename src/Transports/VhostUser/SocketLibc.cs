using System.Runtime.InteropServices;
using static Glue.Core.Interop.Libc;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The libc calls behind the vhost-user socket: a Unix stream socket, file descriptors passed with SCM_RIGHTS, and
/// poll to wait for a message or a stop. Each returns -1 and sets errno on failure.
/// </summary>
internal static unsafe partial class SocketLibc
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;
    public const short POLLIN = 0x1;
    public const short POLLERR = 0x8;
    public const short POLLHUP = 0x10;

    /// <summary>struct sockaddr_un: sun_family and a 108-byte path.</summary>
    public const int SunPathSize = 108;

    /// <summary>struct msghdr (x86-64, 56 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr (16 bytes), followed by its data aligned to 8.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public static int CmsgAlign(int length) => (length + 7) & ~7;

    /// <summary>CMSG_SPACE(n): a header and n bytes of data, aligned.</summary>
    public static int CmsgSpace(int dataLength) => sizeof(CmsgHdr) + CmsgAlign(dataLength);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    public static partial int Listen(int fd, int backlog);

    [LibraryImport("libc", EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, void* address, void* length, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    public static partial nint SendMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeout);



    private const int F_GETFL = 3;
    private const int F_SETFL = 4;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>Sets O_NONBLOCK on the fd's file description; 0, or -1 with errno.</summary>
    public static int MakeNonBlocking(int fd)
    {
        int flags = Fcntl(fd, F_GETFL, 0);
        return flags < 0 ? -1 : Fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }

    private const int F_GET_SEALS = 1034;          // linux/fcntl.h: F_LINUX_SPECIFIC_BASE + 10
    public const int F_SEAL_SHRINK = 0x0002;        // linux/fcntl.h: the file may not shrink
    private const int StatModeOffset = 24;          // struct stat (x86-64): st_dev, st_ino, st_nlink, then st_mode
    private const uint S_IFMT = 0xF000;             // sys/stat.h: the file type bits of st_mode
    private const uint S_IFSOCK = 0xC000;

    /// <summary>F_GET_SEALS: the file's seals, or -1 (EINVAL: a file that cannot carry seals, not a memfd or shmem file).</summary>
    public static int Seals(int fd) => Fcntl(fd, F_GET_SEALS, 0);

    /// <summary>True when fstat says the fd is a socket (false too when fstat fails: the caller's next use will).</summary>
    public static bool IsSocket(int fd)
    {
        byte* stat = stackalloc byte[StatSize];
        return Fstat(fd, stat) == 0 && (*(uint*)(stat + StatModeOffset) & S_IFMT) == S_IFSOCK;
    }

    [LibraryImport("libc", EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Unlink(string path);

    /// <summary>
    /// Waits until <paramref name="fd"/> is readable (or hung up); false when <paramref name="stop"/> became
    /// readable first. EINTR is retried.
    /// </summary>
    public static bool WaitReadable(SafeHandle fd, SafeHandle? stop)
    {
        var fds = stackalloc PollFd[2];
        bool fdReferenced = false, stopReferenced = false;
        try
        {
            fd.DangerousAddRef(ref fdReferenced);
            stop?.DangerousAddRef(ref stopReferenced);
            int count = stop is null ? 1 : 2;
            while (true)
            {
                fds[0] = new PollFd { Fd = (int)fd.DangerousGetHandle(), Events = POLLIN };
                if (stop is not null) fds[1] = new PollFd { Fd = (int)stop.DangerousGetHandle(), Events = POLLIN };
                if (Poll(fds, (nuint)count, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    throw new Glue.Core.Interop.NativeError("poll", errno);
                }
                if (count == 2 && fds[1].Revents != 0) return false;
                if (fds[0].Revents != 0) return true;
            }
        }
        finally
        {
            if (stopReferenced) stop!.DangerousRelease();
            if (fdReferenced) fd.DangerousRelease();
        }
    }
}
