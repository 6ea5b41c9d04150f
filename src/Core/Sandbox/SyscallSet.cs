using System.Collections;

namespace Glue.Core.Sandbox;

/// <summary>
/// The system calls one kind of thread may make, at most one rule each (a call listed twice keeps the union of
/// its rules). Written as a collection initializer: bare <see cref="Syscall"/> values are allowed outright.
/// </summary>
public sealed class SyscallSet : IEnumerable<SyscallRule>
{
    private readonly List<SyscallRule> _rules = [];

    public SyscallSet()
    {
    }

    public SyscallSet(params SyscallSet[] sets)
    {
        foreach (var set in sets) Add(set);
    }

    public int Count => _rules.Count;

    public void Add(SyscallRule rule)
    {
        int at = _rules.FindIndex(r => r.Syscall == rule.Syscall);
        if (at < 0) _rules.Add(rule);
        else _rules[at] = _rules[at].Union(rule);
    }

    public void Add(SyscallSet set)
    {
        foreach (var rule in set._rules) Add(rule);
    }

    /// <summary>The rule for <paramref name="syscall"/>, or null when the set forbids it.</summary>
    public SyscallRule? RuleFor(Syscall syscall) => _rules.Find(r => r.Syscall == syscall);

    public IEnumerator<SyscallRule> GetEnumerator() => _rules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
