using System.Runtime.InteropServices;

namespace Glue.Core.Kvm.Uapi;

/// <summary>x87/SSE state (struct kvm_fpu).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct kvm_fpu
{
    public fixed byte fpr[8 * 16];
    public ushort fcw;
    public ushort fsw;
    public byte ftwx;
    public byte pad1;
    public ushort last_opcode;
    public ulong last_ip;
    public ulong last_dp;
    public fixed byte xmm[16 * 16];
    public uint mxcsr;
    public uint pad2;
}
