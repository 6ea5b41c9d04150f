namespace Glue.Core.Sandbox;

/// <summary>
/// A test of one system call argument. Only its low 32 bits are read: every argument Glue's filters test is an
/// int or unsigned int in the kernel's prototype (an ioctl request, a socket family, open flags, clone's flags,
/// which legacy clone truncates, ids), so the high half cannot change what the kernel does with it. mmap's and
/// mprotect's prot are unsigned long, but PROT_EXEC is bit 2: high bits set cannot ask for execution.
/// </summary>
public abstract record ArgCondition(int Index)
{
    /// <summary>The argument is one of <paramref name="values"/>.</summary>
    public static ArgCondition OneOf(int index, params uint[] values) => new OneOfValues(index, [.. values]);

    /// <summary>The argument has none of the bits of <paramref name="mask"/>.</summary>
    public static ArgCondition NoneOf(int index, uint mask) => new NoBits(index, mask);

    /// <summary>The argument has every bit of <paramref name="mask"/>.</summary>
    public static ArgCondition AllOf(int index, uint mask) => new AllBits(index, mask);

    /// <summary>The argument's bits of <paramref name="mask"/> are one of <paramref name="values"/> (open flags: read only, or create a new file).</summary>
    public static ArgCondition MaskedOneOf(int index, uint mask, params uint[] values) => new MaskedValues(index, mask, [.. values]);

    /// <summary>The instructions that fall through when the condition holds and jump to the instruction <paramref name="fail"/> after their last when not.</summary>
    internal abstract IEnumerable<BpfInstruction> Emit(int fail);

    /// <summary>How many instructions <see cref="Emit"/> gives.</summary>
    internal abstract int Length { get; }

    /// <summary>True when <paramref name="argument"/> passes; what the BPF program computes, for tests and reports.</summary>
    public abstract bool Holds(uint argument);

    public sealed record OneOfValues(int Index, uint[] Values) : ArgCondition(Index)
    {
        internal override int Length => 1 + Values.Length;

        internal override IEnumerable<BpfInstruction> Emit(int fail)
        {
            yield return BpfInstruction.Load(SeccompUapi.ArgLow(Index));
            // Each match jumps past the comparisons left; the last one falls through or fails.
            for (int i = 0; i < Values.Length - 1; i++) yield return BpfInstruction.JumpIfEqual(Values[i], Values.Length - 1 - i, 0);
            yield return BpfInstruction.JumpIfEqual(Values[^1], 0, fail);
        }

        public override bool Holds(uint argument) => Values.Contains(argument);

        public bool Equals(OneOfValues? other) => other is not null && Index == other.Index && Values.SequenceEqual(other.Values);

        public override int GetHashCode() => HashCode.Combine(Index, Values.Length);
    }

    public sealed record MaskedValues(int Index, uint Mask, uint[] Values) : ArgCondition(Index)
    {
        internal override int Length => 2 + Values.Length;

        internal override IEnumerable<BpfInstruction> Emit(int fail)
        {
            yield return BpfInstruction.Load(SeccompUapi.ArgLow(Index));
            yield return BpfInstruction.And(Mask);
            for (int i = 0; i < Values.Length - 1; i++) yield return BpfInstruction.JumpIfEqual(Values[i], Values.Length - 1 - i, 0);
            yield return BpfInstruction.JumpIfEqual(Values[^1], 0, fail);
        }

        public override bool Holds(uint argument) => Values.Contains(argument & Mask);

        public bool Equals(MaskedValues? other) => other is not null && Index == other.Index && Mask == other.Mask && Values.SequenceEqual(other.Values);

        public override int GetHashCode() => HashCode.Combine(Index, Mask, Values.Length);
    }

    public sealed record NoBits(int Index, uint Mask) : ArgCondition(Index)
    {
        internal override int Length => 2;

        internal override IEnumerable<BpfInstruction> Emit(int fail)
        {
            yield return BpfInstruction.Load(SeccompUapi.ArgLow(Index));
            yield return BpfInstruction.JumpIfAnySet(Mask, fail, 0);
        }

        public override bool Holds(uint argument) => (argument & Mask) == 0;
    }

    public sealed record AllBits(int Index, uint Mask) : ArgCondition(Index)
    {
        internal override int Length => 3;

        internal override IEnumerable<BpfInstruction> Emit(int fail)
        {
            yield return BpfInstruction.Load(SeccompUapi.ArgLow(Index));
            yield return BpfInstruction.And(Mask);
            yield return BpfInstruction.JumpIfEqual(Mask, 0, fail);
        }

        public override bool Holds(uint argument) => (argument & Mask) == Mask;
    }
}
