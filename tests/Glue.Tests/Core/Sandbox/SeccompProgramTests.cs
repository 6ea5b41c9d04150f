using Glue.Core.Sandbox;
using Xunit;
using static Glue.Core.Sandbox.ArgCondition;
using static Glue.Core.Sandbox.SeccompUapi;

namespace Glue.Tests.Core.Sandbox;

public sealed class SeccompProgramTests
{
    private const uint Forbidden = SECCOMP_RET_TRAP | 7;

    private static uint Run(SyscallSet rules, Syscall syscall, params ulong[] args) =>
        BpfInterpreter.Run(SeccompProgram.Compile(rules, Forbidden), (int)syscall, args);

    [Fact]
    public void Listed_calls_are_allowed_and_every_other_gets_the_forbidden_action()
    {
        SyscallSet rules = [Syscall.read, Syscall.write];
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.read));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.write));
        Assert.Equal(Forbidden, Run(rules, Syscall.openat));
        Assert.Equal(Forbidden, Run(rules, (Syscall)999));
    }

    [Fact]
    public void Another_architecture_and_the_x32_abi_kill_the_process_whatever_the_call()
    {
        var program = SeccompProgram.Compile([Syscall.read], Forbidden);
        Assert.Equal(SECCOMP_RET_KILL_PROCESS, BpfInterpreter.Run(program, (int)Syscall.read, arch: BpfInterpreter.AuditArchI386));
        Assert.Equal(SECCOMP_RET_KILL_PROCESS, BpfInterpreter.Run(program, (int)(X32_SYSCALL_BIT | (uint)Syscall.read)));
    }

    [Fact]
    public void A_value_list_allows_only_its_values_of_the_low_32_bits()
    {
        SyscallSet rules = [SyscallRule.Allow(Syscall.ioctl, OneOf(1, 0xae80, 0x8090ae81, 0x4020ae76))];
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 5, 0xae80));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 5, 0x8090ae81));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 5, 0x4020ae76));
        // The kernel's ioctl takes an unsigned int request: the high half is not the filter's business.
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 5, 0xffffffff_0000ae80));
        Assert.Equal(Forbidden, Run(rules, Syscall.ioctl, 5, 0xae01));
        Assert.Equal(Forbidden, Run(rules, Syscall.ioctl, 0xae80, 0));
    }

    [Fact]
    public void Bit_conditions_test_for_none_and_for_all_of_a_mask()
    {
        SyscallSet rules = [SyscallRule.Allow(Syscall.mmap, NoneOf(2, 0x4)), SyscallRule.Allow(Syscall.clone, AllOf(0, 0x10000))];
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.mmap, 0, 4096, 0x3));
        Assert.Equal(Forbidden, Run(rules, Syscall.mmap, 0, 4096, 0x5));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.clone, 0x3d0f00));
        Assert.Equal(Forbidden, Run(rules, Syscall.clone, 0x11));
    }

    [Fact]
    public void A_masked_value_list_tests_only_the_masks_bits_and_joins_another_for_the_same_bits()
    {
        // Open flags: read only (none of the writing bits), or a new file (O_CREAT|O_EXCL with O_RDWR); O_CLOEXEC is outside the mask.
        SyscallSet rules = [SyscallRule.Allow(Syscall.openat, MaskedOneOf(2, 0x6c3, 0)), SyscallRule.Allow(Syscall.openat, MaskedOneOf(2, 0x6c3, 0xc2))];
        Assert.Equal(1, rules.Count);
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.openat, 0, 0, 0x80000));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.openat, 0, 0, 0x800c2));
        Assert.Equal(Forbidden, Run(rules, Syscall.openat, 0, 0, 0x42));
        Assert.Equal(Forbidden, Run(rules, Syscall.openat, 0, 0, 0x2c2));
        Assert.Throws<InvalidOperationException>(() => new SyscallSet { SyscallRule.Allow(Syscall.openat, MaskedOneOf(2, 0x3, 0)), SyscallRule.Allow(Syscall.openat, MaskedOneOf(2, 0x43, 0x42)) });
    }

    [Fact]
    public void Every_condition_of_a_rule_must_hold()
    {
        SyscallSet rules = [SyscallRule.Allow(Syscall.setresuid, OneOf(0, 1000), OneOf(1, 1000), OneOf(2, 1000)), Syscall.read];
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.setresuid, 1000, 1000, 1000));
        Assert.Equal(Forbidden, Run(rules, Syscall.setresuid, 1000, 1000, 0));
        Assert.Equal(Forbidden, Run(rules, Syscall.setresuid, 0, 1000, 1000));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.read));
    }

    [Fact]
    public void A_failing_rule_returns_its_errno_without_calling()
    {
        SyscallSet rules = [SyscallRule.Fail(Syscall.clone3, 38)];
        Assert.Equal(SECCOMP_RET_ERRNO | 38, Run(rules, Syscall.clone3));
    }

    [Fact]
    public void A_call_listed_twice_keeps_the_union_and_ambiguous_pairs_are_refused()
    {
        SyscallSet rules = [SyscallRule.Allow(Syscall.socket, OneOf(0, 1)), SyscallRule.Allow(Syscall.socket, OneOf(0, 2))];
        Assert.Equal(1, rules.Count);
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.socket, 1));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.socket, 2));
        Assert.Equal(Forbidden, Run(rules, Syscall.socket, 10));
        Assert.Throws<InvalidOperationException>(() => new SyscallSet { SyscallRule.Allow(Syscall.mmap, NoneOf(2, 4)), SyscallRule.Allow(Syscall.mmap, OneOf(2, 3)) });
    }

    [Fact]
    public void A_long_value_list_keeps_its_jumps_within_reach()
    {
        SyscallSet rules = [SyscallRule.Allow(Syscall.ioctl, OneOf(1, [.. Enumerable.Range(1, 200).Select(i => (uint)i)])), Syscall.read];
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 0, 1));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.ioctl, 0, 200));
        Assert.Equal(Forbidden, Run(rules, Syscall.ioctl, 0, 201));
        Assert.Equal(SECCOMP_RET_ALLOW, Run(rules, Syscall.read));
    }
}
