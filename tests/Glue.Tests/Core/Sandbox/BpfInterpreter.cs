using Glue.Core.Sandbox;
using static Glue.Core.Sandbox.BpfInstruction;

namespace Glue.Tests.Core.Sandbox;

/// <summary>
/// The kernel's classic BPF as seccomp runs it, for the instructions Glue's filters use: runs a program over a
/// struct seccomp_data and gives its return value. Anything else, a read past seccomp_data, a jump out of the
/// program or running off its end fails the test, as the kernel's checker would refuse the program.
/// </summary>
internal static class BpfInterpreter
{
    public const uint AuditArchI386 = 0x40000003;

    public static uint Run(BpfInstruction[] program, int nr, ulong[]? args = null, uint arch = SeccompUapi.AUDIT_ARCH_X86_64)
    {
        var data = new byte[64];
        BitConverter.TryWriteBytes(data.AsSpan(0), nr);
        BitConverter.TryWriteBytes(data.AsSpan(4), arch);
        for (int i = 0; i < (args?.Length ?? 0); i++) BitConverter.TryWriteBytes(data.AsSpan(16 + 8 * i), args![i]);
        uint a = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            var op = program[pc];
            switch (op.Code)
            {
                case BPF_LD | BPF_W | BPF_ABS:
                    if (op.K > data.Length - 4 || op.K % 4 != 0) throw new InvalidOperationException($"load of offset {op.K} at {pc}");
                    a = BitConverter.ToUInt32(data, (int)op.K);
                    break;
                case BPF_ALU | BPF_AND | BPF_K:
                    a &= op.K;
                    break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                    pc += a == op.K ? op.JumpTrue : op.JumpFalse;
                    break;
                case BPF_JMP | BPF_JGE | BPF_K:
                    pc += a >= op.K ? op.JumpTrue : op.JumpFalse;
                    break;
                case BPF_JMP | BPF_JSET | BPF_K:
                    pc += (a & op.K) != 0 ? op.JumpTrue : op.JumpFalse;
                    break;
                case BPF_RET | BPF_K:
                    return op.K;
                default:
                    throw new InvalidOperationException($"opcode 0x{op.Code:x} at {pc}");
            }
            if (pc + 1 >= program.Length) throw new InvalidOperationException($"jump past the end at {pc}");
        }
        throw new InvalidOperationException("the program ran off its end");
    }
}
