using static Glue.Core.Kvm.KvmIoctls;
using static Glue.Core.Sandbox.ArgCondition;
using static Glue.Core.Sandbox.SyscallRule;

namespace Glue.Core.Sandbox;

/// <summary>
/// What each kind of thread may call, measured under load (docs/security.md says how, and how to measure again).
/// Every kind's filter holds <see cref="Thread"/>, what any .NET thread does; the process filter, which the
/// runtime's own threads run under and set-up happens under, holds the union of the kinds and set-up's calls.
/// </summary>
#pragma warning disable CA1707 // the kernel's names
public static class SyscallPolicy
{
    // Arguments the rules test (linux/socket.h, asm-generic/mman-common.h, asm-generic/fcntl.h, linux/sched.h,
    // linux/prctl.h, asm-generic/errno.h).
    private const uint AF_UNIX = 1;
    private const uint AF_INET = 2;
    private const uint AF_INET6 = 10;
    private const uint PROT_EXEC = 0x4;
    private const uint S_IFCHR = 0x2000;
    private const uint O_WRONLY = 0x1;
    private const uint O_RDWR = 0x2;
    private const uint O_CREAT = 0x40;
    private const uint O_EXCL = 0x80;
    private const uint O_TRUNC = 0x200;
    private const uint O_APPEND = 0x400;
    private const uint CLONE_THREAD = 0x00010000;
    // The open flags that write or create: what a thread may open without them is read only.
    private const uint OpenWriting = O_WRONLY | O_RDWR | O_CREAT | O_EXCL | O_TRUNC | O_APPEND;
    private const uint PR_SET_NAME = 15;
    private const uint PR_GET_NAME = 16;
    private const uint PR_SET_NO_NEW_PRIVS = 38;
    private const int ENOSYS = 38;

    // asm-generic/ioctls.h: the terminal's, which the host console and the runtime's Console use.
    private const uint TCGETS = 0x5401;
    private const uint TCSETS = 0x5402;
    private const uint TCSETSW = 0x5403;
    private const uint TCSETSF = 0x5404;
    private const uint TIOCGWINSZ = 0x5413;
    private const uint FIONREAD = 0x541b;
    private const uint FIONBIO = 0x5421;

    /// <summary>Signals go to this process's own threads only (the runtime's suspension, the vCPU kick, the console's SIGTERM).</summary>
    private static readonly uint Self = (uint)Environment.ProcessId;

    /// <summary>
    /// What every .NET thread does: memory (never executable), locks, signals to its own process, time, threads
    /// (never processes), its end; and what a garbage collection does on whichever thread allocates: it reads
    /// /proc/meminfo and RLIMIT_AS each time, so every thread may open a file, for reading only.
    /// </summary>
    public static SyscallSet Thread { get; } =
    [
        Syscall.futex, Syscall.sched_yield, Syscall.nanosleep, Syscall.clock_nanosleep, Syscall.clock_gettime, Syscall.gettimeofday,
        Allow(Syscall.mmap, NoneOf(2, PROT_EXEC)), Allow(Syscall.mprotect, NoneOf(2, PROT_EXEC)), Syscall.munmap, Syscall.madvise,
        Syscall.membarrier,
        Syscall.rt_sigprocmask, Syscall.rt_sigreturn, Syscall.rt_sigaction, Syscall.sigaltstack, Syscall.restart_syscall,
        Syscall.gettid, Syscall.getpid, Allow(Syscall.tgkill, OneOf(0, Self)),
        Allow(Syscall.clone, AllOf(0, CLONE_THREAD)), Fail(Syscall.clone3, ENOSYS),
        Syscall.set_robust_list, Syscall.rseq, Syscall.sched_getaffinity, Allow(Syscall.prctl, OneOf(0, PR_SET_NAME, PR_GET_NAME)),
        Allow(Syscall.openat, MaskedOneOf(2, OpenWriting, 0)), Syscall.newfstatat, Syscall.fstat,
        Syscall.read, Syscall.close, Syscall.prlimit64, Syscall.sysinfo,
        Allow(Syscall.ioctl, OneOf(1, TCGETS, TIOCGWINSZ)),
        Syscall.write, Syscall.exit, Syscall.exit_group,
        // Each of Glue's threads adds its own filter under the process's: a filter only ever narrows.
        Allow(Syscall.seccomp, OneOf(0, SeccompUapi.SECCOMP_SET_MODE_FILTER)),
    ];

    /// <summary>
    /// KVM_RUN and the exits a vCPU handles in place: port and MMIO writes that raise interrupts, move BARs, start
    /// devices; as it parks for a pause, KVM_KVMCLOCK_CTRL (a vCPU ioctl, made from the vCPU's own thread); held, its
    /// own state read for a snapshot and set from one (KVM's api.rst: vCPU ioctls from the vCPU's thread).
    /// </summary>
    public static SyscallSet Vcpu { get; } =
    [
        Allow(Syscall.ioctl, OneOf(1, (uint)KVM_RUN, (uint)KVM_KVMCLOCK_CTRL, (uint)KVM_TRANSLATE,
            (uint)KVM_IRQ_LINE, (uint)KVM_SET_GSI_ROUTING, (uint)KVM_IRQFD, (uint)KVM_IOEVENTFD,
            (uint)KVM_GET_REGS, (uint)KVM_SET_REGS, (uint)KVM_GET_SREGS, (uint)KVM_SET_SREGS, (uint)KVM_GET_FPU, (uint)KVM_SET_FPU,
            (uint)KVM_GET_XSAVE, (uint)KVM_GET_XSAVE2, (uint)KVM_SET_XSAVE, (uint)KVM_GET_XCRS, (uint)KVM_SET_XCRS,
            (uint)KVM_GET_MSRS, (uint)KVM_SET_MSRS, (uint)KVM_GET_LAPIC, (uint)KVM_SET_LAPIC, (uint)KVM_GET_MP_STATE, (uint)KVM_SET_MP_STATE,
            (uint)KVM_GET_VCPU_EVENTS, (uint)KVM_SET_VCPU_EVENTS, (uint)KVM_GET_DEBUGREGS, (uint)KVM_SET_DEBUGREGS)),
        Syscall.writev, Syscall.eventfd2, Syscall.epoll_ctl,
    ];

    /// <summary>
    /// A device's event loop and the host console's input: their fds, the disk, the TAP, vsock's Unix sockets,
    /// entropy, interrupts, and Ctrl-A x's SIGTERM to the process itself. epoll_create1: .NET makes its sockets
    /// engine's epoll on the first thread that wraps a socket, which can be a vhost-user request's (GPU_SET_SOCKET).
    /// </summary>
    public static SyscallSet DeviceIo { get; } =
    [
        Syscall.epoll_create1, Syscall.epoll_wait, Syscall.epoll_pwait, Syscall.epoll_ctl, Syscall.readv, Syscall.writev,
        Syscall.pread64, Syscall.pwrite64, Syscall.preadv, Syscall.preadv2, Syscall.pwritev, Syscall.fsync, Syscall.fdatasync, Syscall.fallocate,
        Syscall.lseek, Syscall.getrandom, Syscall.eventfd2,
        Allow(Syscall.socket, OneOf(0, AF_UNIX)), Syscall.connect, Syscall.accept4, Syscall.recvmsg, Syscall.sendmsg,
        Syscall.recvfrom, Syscall.sendto, Syscall.shutdown, Syscall.poll, Syscall.ppoll, Syscall.fcntl,
        Syscall.getsockopt, Syscall.setsockopt, Syscall.getsockname, Syscall.getpeername,
        Allow(Syscall.ioctl, OneOf(1, (uint)KVM_IRQ_LINE, (uint)KVM_IRQFD, (uint)KVM_IOEVENTFD, (uint)KVM_SET_GSI_ROUTING, FIONREAD, FIONBIO)),
        Allow(Syscall.kill, OneOf(0, Self)),
    ];

    /// <summary>
    /// VNC: accepting, reading and writing its clients (getrandom: VNC Authentication's challenge, RFC 6143 §7.2.2),
    /// and the frames sent to a vhost-user-gpu frontend.
    /// </summary>
    public static SyscallSet Display { get; } =
    [
        Syscall.getrandom, Syscall.accept, Syscall.accept4, Syscall.recvfrom, Syscall.recvmsg, Syscall.sendto, Syscall.sendmsg, Syscall.writev,
        Syscall.poll, Syscall.ppoll, Syscall.setsockopt, Syscall.getsockopt, Syscall.getsockname, Syscall.getpeername, Syscall.shutdown,
        Syscall.fcntl, Syscall.eventfd2, Syscall.epoll_wait, Syscall.epoll_ctl,
        Allow(Syscall.ioctl, OneOf(1, FIONREAD, FIONBIO)),
    ];

    /// <summary>
    /// The control socket: one client at a time, pause, resume, stop, screenshot, snapshot. A snapshot reads the VM's
    /// in-kernel state (KVM_GET_IRQCHIP, _PIT2, _CLOCK) and writes two new files (O_CREAT|O_EXCL: never one that exists),
    /// removed again if it fails; .NET asks a file's file system (fstatfs) before it locks it. A screenshot writes a
    /// new file and renames it into place (.NET's File.Move lstats it first; a refusal stats the path to say why).
    /// </summary>
    public static SyscallSet Control { get; } =
    [
        Syscall.accept, Syscall.accept4, Syscall.recvfrom, Syscall.recvmsg, Syscall.sendto, Syscall.sendmsg, Syscall.poll,
        Syscall.setsockopt, Syscall.getsockopt, Syscall.getsockname, Syscall.getpeername, Syscall.shutdown, Syscall.fcntl,
        Allow(Syscall.ioctl, OneOf(1, FIONREAD, FIONBIO, (uint)KVM_GET_IRQCHIP, (uint)KVM_GET_PIT2, (uint)KVM_GET_CLOCK)),
        Allow(Syscall.openat, MaskedOneOf(2, OpenWriting, O_WRONLY | O_CREAT | O_EXCL, O_RDWR | O_CREAT | O_EXCL)),
        Syscall.ftruncate, Syscall.pwrite64, Syscall.lseek, Syscall.fsync, Syscall.flock, Syscall.fstatfs, Syscall.unlink,
        Syscall.rename, Syscall.lstat, Syscall.stat,
    ];

    /// <summary>
    /// `glue run`'s main thread after the vCPUs start: it waits, then stops the threads, flushes disks (a qcow2 image's
    /// last flush writes its cached tables and header, and may read a refcount block to free clusters), closes and
    /// removes its files, restores the terminal.
    /// </summary>
    public static SyscallSet Main { get; } =
    [
        Syscall.writev, Syscall.fsync, Syscall.fdatasync, Syscall.pwritev, Syscall.preadv, Syscall.flock, Syscall.unlink, Syscall.unlinkat, Syscall.epoll_ctl,
        Syscall.shutdown, Syscall.fcntl, Syscall.getsockopt, Syscall.setsockopt, Syscall.stat, Syscall.connect,
        Allow(Syscall.ioctl, OneOf(1, TCSETS, TCSETSW, TCSETSF)),
    ];

    /// <summary>
    /// A virtio-fs device's workers, on top of the device's own calls: what a FUSE server does to its shared directory,
    /// through descriptors confined to it (openat2 RESOLVE_BENEATH). mknodat makes files, FIFOs and sockets only:
    /// S_IFCHR's bit is in S_IFBLK too, so no device node, whatever the worker was made to ask. glibc's renameat2
    /// without flags is the renameat system call.
    /// </summary>
    public static SyscallSet FileServer { get; } =
    [
        Syscall.openat, Syscall.openat2, Syscall.getdents64, Syscall.fstatfs, Syscall.readlinkat, Syscall.faccessat, Syscall.faccessat2,
        Syscall.mkdirat, Allow(Syscall.mknodat, NoneOf(2, S_IFCHR)), Syscall.symlinkat, Syscall.linkat, Syscall.unlinkat, Syscall.renameat, Syscall.renameat2,
        Syscall.fchmod, Syscall.fchmodat, Syscall.fchownat, Syscall.utimensat, Syscall.ftruncate, Syscall.copy_file_range,
    ];

    /// <summary>`glue device`'s vhost-user sessions, on top of the device's own calls: the socket removed and the disk unlocked at the end.</summary>
    public static SyscallSet Backend { get; } =
    [
        Syscall.unlink, Syscall.flock, Syscall.listen, Syscall.stat,
    ];

    /// <summary>
    /// What set-up (before Glue's threads take their own filters) and the runtime's own threads call besides the
    /// kinds' sets: opening and creating files, sockets of the three families Glue uses, every ioctl (KVM's
    /// set-up, TAP, the terminal), executable memory (the vCPU kick's handler page), the runtime's probes of cgroups and NUMA,
    /// umask (a virtio-fs share reads the process's).
    /// </summary>
    public static SyscallSet Setup { get; } =
    [
        Syscall.openat, Syscall.readlink, Syscall.stat, Syscall.lstat, Syscall.statx, Syscall.statfs, Syscall.getdents64,
        Syscall.mkdir, Syscall.chmod, Syscall.chown, Syscall.fchmod, Syscall.fchmodat, Syscall.access, Syscall.faccessat, Syscall.faccessat2,
        Syscall.flock, Syscall.getcwd, Syscall.uname, Syscall.getrlimit, Syscall.getuid, Syscall.geteuid, Syscall.getgid,
        Syscall.getegid, Syscall.getppid, Syscall.get_mempolicy, Syscall.sched_getparam, Syscall.sched_getscheduler,
        Allow(Syscall.socket, OneOf(0, AF_UNIX, AF_INET, AF_INET6)), Syscall.socketpair, Syscall.bind, Syscall.listen,
        Syscall.ioctl, Syscall.pipe2, Syscall.dup, Syscall.dup2, Syscall.dup3, Syscall.memfd_create, Syscall.epoll_create1,
        Syscall.mmap, Syscall.mprotect, Syscall.mremap, Syscall.msync, Syscall.brk, Syscall.getrusage, Syscall.unlink, Syscall.umask,
        Allow(Syscall.prctl, OneOf(0, PR_SET_NO_NEW_PRIVS)),
    ];

    /// <summary>The exact change of ids `--user` makes, which glibc repeats on every thread.</summary>
    public static SyscallSet CredentialsOf(UserIds ids) =>
    [
        Allow(Syscall.setgroups, OneOf(0, 0)),
        Allow(Syscall.setresgid, OneOf(0, ids.Gid), OneOf(1, ids.Gid), OneOf(2, ids.Gid)),
        Allow(Syscall.setresuid, OneOf(0, ids.Uid), OneOf(1, ids.Uid), OneOf(2, ids.Uid)),
    ];

    public static SyscallSet For(ThreadKind kind) => kind switch
    {
        ThreadKind.Process => Process,
        ThreadKind.Main => new(Thread, Main),
        ThreadKind.Vcpu => new(Thread, Vcpu),
        ThreadKind.DeviceIo => new(Thread, DeviceIo),
        ThreadKind.Display => new(Thread, Display),
        ThreadKind.Control => new(Thread, Control),
        ThreadKind.Backend => new(Thread, DeviceIo, Backend),
        ThreadKind.FileServer => new(Thread, DeviceIo, FileServer),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static SyscallSet Process => new(Setup, Thread, Vcpu, DeviceIo, Display, Control, Main, Backend, FileServer);
}
