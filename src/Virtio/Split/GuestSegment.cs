using Glue.Core.Memory;

namespace Glue.Virtio.Split;

/// <summary>
/// One buffer of a descriptor chain: a range of guest RAM already checked to lie wholly inside one memory
/// region. Length is the descriptor's 32-bit len, so one segment may be larger than a span can hold.
/// </summary>
public readonly record struct GuestSegment(GuestAddress Address, uint Length);
