namespace Glue.Core.Sandbox;

/// <summary>
/// What a filter does with one system call: allow it when every condition holds (else the filter's action for
/// forbidden calls), or fail it at once with an errno (clone3, whose flags sit in memory a filter cannot read,
/// fails with ENOSYS so that glibc falls back to clone, whose flags it can).
/// </summary>
public sealed record SyscallRule(Syscall Syscall, ArgCondition[] Conditions, int? Errno = null)
{
    public static SyscallRule Allow(Syscall syscall, params ArgCondition[] conditions) => new(syscall, conditions);

    public static SyscallRule Fail(Syscall syscall, int errno) => new(syscall, [], errno);

    /// <summary>A bare system call in a <see cref="SyscallSet"/> is allowed outright.</summary>
    public static implicit operator SyscallRule(Syscall syscall) => Allow(syscall);

    public bool Equals(SyscallRule? other) =>
        other is not null && Syscall == other.Syscall && Errno == other.Errno && Conditions.SequenceEqual(other.Conditions);

    public override int GetHashCode() => HashCode.Combine(Syscall, Errno, Conditions.Length);

    /// <summary>
    /// The rule allowing what either allows: unconditional wins; two lists of values for the same one argument
    /// join, as do two for the same bits of one argument. Other pairs are ambiguous and refused, so a policy never
    /// silently loosens or tightens.
    /// </summary>
    public SyscallRule Union(SyscallRule other)
    {
        if (other.Syscall != Syscall) throw new ArgumentException("rules for different system calls", nameof(other));
        if (Equals(other)) return this;
        if (Errno is null && other.Errno is null)
        {
            if (Conditions.Length == 0) return this;
            if (other.Conditions.Length == 0) return other;
            if (Conditions is [ArgCondition.OneOfValues a] && other.Conditions is [ArgCondition.OneOfValues b] && a.Index == b.Index)
                return Allow(Syscall, ArgCondition.OneOf(a.Index, [.. a.Values.Union(b.Values)]));
            if (Conditions is [ArgCondition.MaskedValues m] && other.Conditions is [ArgCondition.MaskedValues n] && m.Index == n.Index && m.Mask == n.Mask)
                return Allow(Syscall, ArgCondition.MaskedOneOf(m.Index, m.Mask, [.. m.Values.Union(n.Values)]));
        }
        throw new InvalidOperationException($"two different rules for {Syscall}");
    }
}
