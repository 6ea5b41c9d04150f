using static Glue.Core.Sandbox.SeccompUapi;

namespace Glue.Core.Sandbox;

/// <summary>
/// Compiles rules into a seccomp BPF program: refuse any architecture but x86-64 and the x32 ABI (whose calls
/// would otherwise pass as x86-64 numbers), then one block per system call, then the action for what no block
/// allowed. A block is `if (nr == N) { conditions; return ALLOW; fail: return forbidden; }`, so each jump stays
/// inside its block and short.
/// </summary>
public static class SeccompProgram
{
    /// <summary>The kernel's BPF_MAXINSNS.</summary>
    public const int MaxInstructions = 4096;

    public static BpfInstruction[] Compile(IEnumerable<SyscallRule> rules, uint forbidden)
    {
        var program = new List<BpfInstruction>
        {
            BpfInstruction.Load(SeccompDataArch),
            BpfInstruction.JumpIfEqual(AUDIT_ARCH_X86_64, 1, 0),
            BpfInstruction.Return(SECCOMP_RET_KILL_PROCESS),
            BpfInstruction.Load(SeccompDataNr),
            BpfInstruction.JumpIfAtLeast(X32_SYSCALL_BIT, 0, 1),
            BpfInstruction.Return(SECCOMP_RET_KILL_PROCESS),
        };
        foreach (var rule in rules) program.AddRange(Block(rule, forbidden));
        program.Add(BpfInstruction.Return(forbidden));
        if (program.Count > MaxInstructions) throw new InvalidOperationException($"a seccomp filter of {program.Count} instructions is over the kernel's {MaxInstructions}");
        return [.. program];
    }

    private static List<BpfInstruction> Block(SyscallRule rule, uint forbidden)
    {
        var block = new List<BpfInstruction>();
        if (rule.Errno is { } errno)
        {
            block.Add(BpfInstruction.JumpIfEqual((uint)rule.Syscall, 0, 1));
            block.Add(BpfInstruction.Return(SECCOMP_RET_ERRNO | ((uint)errno & SECCOMP_RET_DATA)));
            return block;
        }
        int body = rule.Conditions.Sum(c => c.Length) + (rule.Conditions.Length > 0 ? 2 : 1);
        block.Add(BpfInstruction.JumpIfEqual((uint)rule.Syscall, 0, body));
        int left = body - 2; // instructions of conditions still to come before `return ALLOW`
        foreach (var condition in rule.Conditions)
        {
            left -= condition.Length;
            // From the condition's last instruction, the fail return is past the later conditions and the allow.
            block.AddRange(condition.Emit(left + 1));
        }
        block.Add(BpfInstruction.Return(SECCOMP_RET_ALLOW));
        if (rule.Conditions.Length > 0) block.Add(BpfInstruction.Return(forbidden));
        return block;
    }
}
