namespace Glue.Core.Memory;

/// <summary>A guest-physical address: kept apart from host pointers and plain integers by its type.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    public GuestAddress Offset(ulong bytes) => new(checked(Value + bytes));

    /// <summary>This address rounded up to a multiple of <paramref name="alignment"/> (a power of two).</summary>
    public GuestAddress AlignUp(ulong alignment) => new(checked(Value + alignment - 1) & ~(alignment - 1));

    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    public static bool operator <(GuestAddress a, GuestAddress b) => a.Value < b.Value;
    public static bool operator >(GuestAddress a, GuestAddress b) => a.Value > b.Value;
    public static bool operator <=(GuestAddress a, GuestAddress b) => a.Value <= b.Value;
    public static bool operator >=(GuestAddress a, GuestAddress b) => a.Value >= b.Value;

    public override string ToString() => $"0x{Value:x}";
}
