using System.Runtime.InteropServices;

namespace Glue.Core.Sandbox;

/// <summary>
/// One classic BPF instruction, struct sock_filter of linux/filter.h, with the few opcodes a seccomp filter
/// uses (linux/bpf_common.h). Jumps are relative to the next instruction; jt and jf reach 255 at most.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct BpfInstruction(ushort Code, byte JumpTrue, byte JumpFalse, uint K)
{
    // Instruction classes, sizes, modes, operations and sources (linux/bpf_common.h).
    public const ushort BPF_LD = 0x00;
    public const ushort BPF_ALU = 0x04;
    public const ushort BPF_JMP = 0x05;
    public const ushort BPF_RET = 0x06;
    public const ushort BPF_W = 0x00;
    public const ushort BPF_ABS = 0x20;
    public const ushort BPF_AND = 0x50;
    public const ushort BPF_JA = 0x00;
    public const ushort BPF_JEQ = 0x10;
    public const ushort BPF_JGE = 0x30;
    public const ushort BPF_JSET = 0x40;
    public const ushort BPF_K = 0x00;

    /// <summary>A = the 32-bit word at <paramref name="offset"/> of struct seccomp_data.</summary>
    public static BpfInstruction Load(uint offset) => new(BPF_LD | BPF_W | BPF_ABS, 0, 0, offset);

    /// <summary>A &amp;= <paramref name="mask"/>.</summary>
    public static BpfInstruction And(uint mask) => new(BPF_ALU | BPF_AND | BPF_K, 0, 0, mask);

    public static BpfInstruction JumpIfEqual(uint value, int jumpTrue, int jumpFalse) => Jump(BPF_JEQ, value, jumpTrue, jumpFalse);

    public static BpfInstruction JumpIfAtLeast(uint value, int jumpTrue, int jumpFalse) => Jump(BPF_JGE, value, jumpTrue, jumpFalse);

    /// <summary>Jumps by <paramref name="jumpTrue"/> when A has any bit of <paramref name="mask"/>.</summary>
    public static BpfInstruction JumpIfAnySet(uint mask, int jumpTrue, int jumpFalse) => Jump(BPF_JSET, mask, jumpTrue, jumpFalse);

    public static BpfInstruction Return(uint action) => new(BPF_RET | BPF_K, 0, 0, action);

    private static BpfInstruction Jump(ushort operation, uint k, int jumpTrue, int jumpFalse)
    {
        if ((uint)jumpTrue > byte.MaxValue || (uint)jumpFalse > byte.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(jumpTrue), $"a BPF jump reaches at most {byte.MaxValue} instructions");
        return new((ushort)(BPF_JMP | operation | BPF_K), (byte)jumpTrue, (byte)jumpFalse, k);
    }
}
