using Glue.Core.Kvm;
using Glue.Core.Sandbox;
using Xunit;
using static Glue.Core.Sandbox.SeccompUapi;

namespace Glue.Tests.Core.Sandbox;

public sealed class SyscallPolicyTests
{
    private const ulong AF_UNIX = 1;
    private const ulong AF_INET = 2;
    private const ulong AF_PACKET = 17;
    private const ulong PROT_READ_WRITE = 0x3;
    private const ulong O_RDONLY = 0;
    private const ulong O_WRONLY = 1;
    private const ulong O_RDWR = 2;
    private const ulong O_CREAT = 0x40;
    private const ulong O_EXCL = 0x80;
    private const ulong O_TRUNC = 0x200;
    private const ulong O_CLOEXEC = 0x80000;
    private const ulong PROT_READ_EXEC = 0x5;
    private const ulong PthreadCreateFlags = 0x3d0f00; // CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
    private const ulong ForkFlags = 0x1200011; // SIGCHLD|CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID

    private static uint Run(ThreadKind kind, Syscall syscall, params ulong[] args) =>
        BpfInterpreter.Run(SeccompFilters.Program(kind, SeccompMode.Kill, []), (int)syscall, args);

    public static TheoryData<ThreadKind> Kinds => [.. Enum.GetValues<ThreadKind>()];

    [Theory, MemberData(nameof(Kinds))]
    public void Every_kind_refuses_new_programs_and_processes_and_names_itself_in_the_trap(ThreadKind kind)
    {
        uint trap = SECCOMP_RET_TRAP | (uint)kind;
        Assert.Equal(trap, Run(kind, Syscall.execve));
        Assert.Equal(trap, Run(kind, Syscall.execveat));
        Assert.Equal(trap, Run(kind, Syscall.fork));
        Assert.Equal(trap, Run(kind, Syscall.clone, ForkFlags));
        Assert.Equal(trap, Run(kind, Syscall.ptrace));
        Assert.Equal(trap, Run(kind, Syscall.mount));
        Assert.Equal(trap, Run(kind, Syscall.socket, AF_PACKET));
        Assert.Equal(trap, Run(kind, Syscall.setresuid, 0, 0, 0));
        Assert.Equal(trap, Run(kind, Syscall.kill, 1, 9));
        Assert.Equal(trap, Run(kind, Syscall.tgkill, 1, 1, 9));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.tgkill, (ulong)Environment.ProcessId, 5, 9));
        // Threads, yes: glibc's clone3 is told ENOSYS so that it uses clone, whose flags the filter can read.
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.clone, PthreadCreateFlags));
        Assert.Equal(SECCOMP_RET_ERRNO | 38, Run(kind, Syscall.clone3));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.futex));
        // A thread may narrow itself further, never loosen or read another's.
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.seccomp, SECCOMP_SET_MODE_FILTER, 0, 0));
        Assert.Equal(trap, Run(kind, Syscall.seccomp, 2, 0, 0));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.exit_group));
    }

    [Theory]
    [InlineData(ThreadKind.Vcpu), InlineData(ThreadKind.DeviceIo), InlineData(ThreadKind.Display), InlineData(ThreadKind.Control), InlineData(ThreadKind.Main), InlineData(ThreadKind.Backend)]
    public void Glues_threads_open_files_only_for_reading_and_never_map_executable_memory(ThreadKind kind)
    {
        uint trap = SECCOMP_RET_TRAP | (uint)kind;
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.openat, 0, 0, O_RDONLY | O_CLOEXEC));
        Assert.Equal(trap, Run(kind, Syscall.openat, 0, 0, O_RDWR));
        Assert.Equal(trap, Run(kind, Syscall.openat, 0, 0, O_WRONLY | O_CLOEXEC));
        Assert.Equal(trap, Run(kind, Syscall.openat, 0, 0, O_RDONLY | O_CREAT));
        Assert.Equal(trap, Run(kind, Syscall.open));
        Assert.Equal(trap, Run(kind, Syscall.mmap, 0, 4096, PROT_READ_EXEC));
        Assert.Equal(trap, Run(kind, Syscall.mprotect, 0, 4096, PROT_READ_EXEC));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(kind, Syscall.mmap, 0, 4096, PROT_READ_WRITE));
    }

    [Fact]
    public void A_vcpu_may_run_and_handle_its_exits_but_not_make_vms_or_memory_slots()
    {
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, KvmIoctls.KVM_RUN));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, KvmIoctls.KVM_IRQ_LINE));
        // A vCPU tells its kvmclock of a pause itself; the control thread that asked for it makes no KVM call.
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, KvmIoctls.KVM_KVMCLOCK_CTRL));
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.Control, Run(ThreadKind.Control, Syscall.ioctl, 7, KvmIoctls.KVM_KVMCLOCK_CTRL));
        uint trap = SECCOMP_RET_TRAP | (uint)ThreadKind.Vcpu;
        Assert.Equal(trap, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, KvmIoctls.KVM_CREATE_VM));
        Assert.Equal(trap, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, KvmIoctls.KVM_SET_USER_MEMORY_REGION));
        Assert.Equal(trap, Run(ThreadKind.Vcpu, Syscall.socket, AF_UNIX));
    }

    [Fact]
    public void A_vcpu_reads_and_sets_its_own_state_for_a_snapshot_and_no_other_thread_does()
    {
        foreach (var request in (nuint[])[KvmIoctls.KVM_GET_XSAVE2, KvmIoctls.KVM_SET_XSAVE, KvmIoctls.KVM_GET_MSRS, KvmIoctls.KVM_SET_MSRS,
            KvmIoctls.KVM_SET_REGS, KvmIoctls.KVM_SET_SREGS, KvmIoctls.KVM_GET_LAPIC, KvmIoctls.KVM_SET_VCPU_EVENTS, KvmIoctls.KVM_SET_MP_STATE])
        {
            Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Vcpu, Syscall.ioctl, 7, request));
            Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.Control, Run(ThreadKind.Control, Syscall.ioctl, 7, request));
            Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.DeviceIo, Run(ThreadKind.DeviceIo, Syscall.ioctl, 7, request));
        }
    }

    [Fact]
    public void The_control_thread_reads_the_vms_state_and_creates_new_files_but_never_writes_one_that_exists()
    {
        uint trap = SECCOMP_RET_TRAP | (uint)ThreadKind.Control;
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Control, Syscall.ioctl, 7, KvmIoctls.KVM_GET_IRQCHIP));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Control, Syscall.ioctl, 7, KvmIoctls.KVM_GET_CLOCK));
        Assert.Equal(trap, Run(ThreadKind.Control, Syscall.ioctl, 7, KvmIoctls.KVM_SET_IRQCHIP));
        Assert.Equal(trap, Run(ThreadKind.Control, Syscall.ioctl, 7, KvmIoctls.KVM_CREATE_VCPU));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Control, Syscall.openat, 0, 0, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Control, Syscall.openat, 0, 0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC));
        Assert.Equal(trap, Run(ThreadKind.Control, Syscall.openat, 0, 0, O_WRONLY | O_CREAT | O_TRUNC));
        Assert.Equal(trap, Run(ThreadKind.Control, Syscall.openat, 0, 0, O_RDWR | O_CREAT | O_EXCL | O_TRUNC));
        Assert.Equal(trap, Run(ThreadKind.Control, Syscall.openat, 0, 0, O_RDWR));
        // A screenshot is renamed into place.
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.Control, Syscall.rename));
        // The other kinds create nothing.
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.Vcpu, Run(ThreadKind.Vcpu, Syscall.openat, 0, 0, O_RDWR | O_CREAT | O_EXCL));
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.Display, Run(ThreadKind.Display, Syscall.rename));
    }

    [Fact]
    public void Device_threads_make_only_unix_sockets_and_vnc_makes_none()
    {
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.DeviceIo, Syscall.socket, AF_UNIX));
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.DeviceIo, Run(ThreadKind.DeviceIo, Syscall.socket, AF_INET));
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.Display, Run(ThreadKind.Display, Syscall.socket, AF_INET));
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.DeviceIo, Run(ThreadKind.DeviceIo, Syscall.ioctl, 7, KvmIoctls.KVM_RUN));
    }

    [Fact]
    public void A_file_server_changes_its_directory_but_makes_no_device_node_and_no_network_socket()
    {
        const ulong S_IFREG = 0x8000, S_IFIFO = 0x1000, S_IFSOCK = 0xc000, S_IFCHR = 0x2000, S_IFBLK = 0x6000;
        uint trap = SECCOMP_RET_TRAP | (uint)ThreadKind.FileServer;
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.FileServer, Syscall.openat, 0, 0, O_RDWR | O_CREAT));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.FileServer, Syscall.renameat2));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.FileServer, Syscall.renameat));
        foreach (var kind in (ulong[])[S_IFREG, S_IFIFO, S_IFSOCK])
            Assert.Equal(SECCOMP_RET_ALLOW, Run(ThreadKind.FileServer, Syscall.mknodat, 3, 0, kind | 0x1a4));
        foreach (var device in (ulong[])[S_IFCHR, S_IFBLK])
            Assert.Equal(trap, Run(ThreadKind.FileServer, Syscall.mknodat, 3, 0, device | 0x1a4));
        Assert.Equal(trap, Run(ThreadKind.FileServer, Syscall.socket, AF_INET));
        Assert.Equal(trap, Run(ThreadKind.FileServer, Syscall.ioctl, 7, KvmIoctls.KVM_RUN));
        // The other device threads do not change files.
        Assert.Equal(SECCOMP_RET_TRAP | (uint)ThreadKind.DeviceIo, Run(ThreadKind.DeviceIo, Syscall.renameat2));
    }

    [Fact]
    public void The_process_filter_holds_every_kinds_calls()
    {
        var process = SyscallPolicy.For(ThreadKind.Process);
        foreach (var kind in Enum.GetValues<ThreadKind>())
            foreach (var rule in SyscallPolicy.For(kind))
                Assert.True(process.RuleFor(rule.Syscall) is { } wider && (wider.Conditions.Length == 0 || wider == rule || wider.Errno == rule.Errno),
                    $"{kind} allows {rule.Syscall} but the process filter does not allow as much");
    }

    [Fact]
    public void Log_mode_lets_a_forbidden_call_through_to_the_kernels_log()
    {
        var program = SeccompFilters.Program(ThreadKind.Vcpu, SeccompMode.Log, []);
        Assert.Equal(SECCOMP_RET_LOG, BpfInterpreter.Run(program, (int)Syscall.execve));
        Assert.Equal(SECCOMP_RET_ALLOW, BpfInterpreter.Run(program, (int)Syscall.ioctl, [7, KvmIoctls.KVM_RUN]));
    }

    [Fact]
    public void User_allows_exactly_its_own_change_of_ids_on_every_thread()
    {
        var credentials = SyscallPolicy.CredentialsOf(new UserIds(1000, 100));
        foreach (var kind in Enum.GetValues<ThreadKind>())
        {
            var program = SeccompFilters.Program(kind, SeccompMode.Kill, credentials);
            Assert.Equal(SECCOMP_RET_ALLOW, BpfInterpreter.Run(program, (int)Syscall.setresuid, [1000, 1000, 1000]));
            Assert.Equal(SECCOMP_RET_ALLOW, BpfInterpreter.Run(program, (int)Syscall.setresgid, [100, 100, 100]));
            Assert.Equal(SECCOMP_RET_ALLOW, BpfInterpreter.Run(program, (int)Syscall.setgroups, [0, 0]));
            Assert.Equal(SECCOMP_RET_TRAP | (uint)kind, BpfInterpreter.Run(program, (int)Syscall.setresuid, [0, 0, 0]));
            Assert.Equal(SECCOMP_RET_TRAP | (uint)kind, BpfInterpreter.Run(program, (int)Syscall.setgroups, [1, 0]));
        }
    }

    [Theory]
    [InlineData("1000:1000", true, 1000u, 1000u)]
    [InlineData("0:0", true, 0u, 0u)]
    [InlineData("1000", false, 0u, 0u)]
    [InlineData("alice:users", false, 0u, 0u)]
    [InlineData("-1:5", false, 0u, 0u)]
    [InlineData("4294967295:5", false, 0u, 0u)]
    [InlineData(" 5:5", false, 0u, 0u)]
    public void User_ids_are_two_numbers(string text, bool valid, uint uid, uint gid)
    {
        Assert.Equal(valid, UserIds.TryParse(text, out var ids));
        if (valid) Assert.Equal(new UserIds(uid, gid), ids);
    }
}
