using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

public sealed class GuestMemoryTests : IDisposable
{
    private readonly GuestMemory _memory = new([
        new GuestRegion(new GuestAddress(0), 0x10000),
        new GuestRegion(new GuestAddress(0x100000), 0x1000),
    ]);

    public void Dispose() => _memory.Dispose();

    [Fact]
    public void Written_values_read_back_from_the_same_address()
    {
        _memory.Write(new GuestAddress(0x1234), 0xdeadbeefcafef00dUL);
        Assert.Equal(0xdeadbeefcafef00dUL, _memory.Read<ulong>(new GuestAddress(0x1234)));
        Assert.Equal(0x0d, _memory.GetSpan(new GuestAddress(0x1234), 1)[0]);
    }

    [Fact]
    public void A_range_ending_exactly_at_the_region_end_is_allowed()
    {
        Assert.True(_memory.TryGetSpan(new GuestAddress(0xfff8), 8, out var span));
        Assert.Equal(8, span.Length);
        Assert.True(_memory.TryGetSpan(new GuestAddress(0x100000), 0x1000, out _));
    }

    [Theory]
    [InlineData(0xfff9UL, 8)]          // straddles the end of the first region
    [InlineData(0x10000UL, 1)]         // in the hole between regions
    [InlineData(0xffffUL, 0x100002)]   // spans both regions and the hole
    [InlineData(0x100fffUL, 2)]        // straddles the end of the second region
    [InlineData(ulong.MaxValue, 2)]    // address + length wraps around
    [InlineData(ulong.MaxValue - 0xfff, 0x1000)]
    [InlineData(0UL, -1)]              // negative length
    public void Ranges_not_wholly_inside_one_region_are_refused(ulong address, int length)
    {
        Assert.False(_memory.TryGetSpan(new GuestAddress(address), length, out _));
        if (length >= 0) Assert.Throws<GuestMemoryException>(() => _memory.GetSpan(new GuestAddress(address), length));
    }

    [Fact]
    public void Overlapping_regions_are_rejected()
    {
        using var a = new GuestRegion(new GuestAddress(0), 0x2000);
        using var b = new GuestRegion(new GuestAddress(0x1000), 0x2000);
        Assert.Throws<ArgumentException>(() => new GuestMemory([a, b]));
    }

    [Fact]
    public void Size_is_the_sum_of_the_regions() => Assert.Equal(0x11000UL, _memory.Size);
}
