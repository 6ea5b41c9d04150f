using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core;

public sealed class MemoryLayoutTests
{
    private const ulong MiB = MemoryLayout.MiB;

    [Theory]
    [InlineData(128)]
    [InlineData(512)]
    [InlineData(3072)]
    [InlineData(3328)] // exactly up to the gap
    public void Memory_below_the_gap_is_one_range_from_zero(ulong mib)
    {
        var ranges = MemoryLayout.RamRanges(mib * MiB);
        Assert.Equal([(new GuestAddress(0), mib * MiB)], ranges);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(8192)]
    public void Memory_past_the_gap_continues_at_4_GiB(ulong mib)
    {
        var ranges = MemoryLayout.RamRanges(mib * MiB);
        Assert.Equal(2, ranges.Count);
        Assert.Equal((new GuestAddress(0), MemoryLayout.MmioGapStart.Value), ranges[0]);
        Assert.Equal(MemoryLayout.MmioGapEnd, ranges[1].Start);
        Assert.Equal(mib * MiB, ranges[0].Size + ranges[1].Size);
    }

    [Fact]
    public void The_gap_holds_the_ioapic_and_lapic_and_the_vmx_pages()
    {
        foreach (var address in new[] { MemoryLayout.IoapicBase, MemoryLayout.LapicBase, MemoryLayout.VmxTss, MemoryLayout.VmxIdentityMap })
        {
            Assert.InRange(address.Value, MemoryLayout.MmioGapStart.Value, MemoryLayout.MmioGapEnd.Value - 1);
        }
        // VMX needs three pages at the TSS address; they must stay clear of the LAPIC and IOAPIC.
        Assert.True(MemoryLayout.VmxTss.Value + 3 * 0x1000 <= 0xff000000);
        Assert.True(MemoryLayout.VmxIdentityMap.Value + 0x1000 <= MemoryLayout.VmxTss.Value);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(4096)]
    public void The_memory_map_covers_ram_and_reserves_the_bios_area(ulong mib)
    {
        using var memory = LoaderTestBase.Memory(mib);
        var map = MemoryMap.For(memory);
        Assert.Equal(new MemoryMapEntry(new GuestAddress(0), 0x9fc00, MemoryType.Ram), map[0]);
        Assert.Equal(new MemoryMapEntry(new GuestAddress(0x9fc00), 0x100000 - 0x9fc00, MemoryType.Reserved), map[1]);
        Assert.Equal(MemoryLayout.HighMemoryStart, map[2].Start);
        ulong ram = map.Where(e => e.Type == MemoryType.Ram).Aggregate(0UL, (sum, e) => sum + e.Size);
        Assert.Equal(mib * MiB - (0x100000 - 0x9fc00), ram);
        for (int i = 1; i < map.Count; i++) Assert.True(map[i - 1].Start.Value + map[i - 1].Size <= map[i].Start.Value);
        Assert.All(map, e => Assert.False(e.Start < MemoryLayout.MmioGapEnd && e.Start.Value + e.Size > MemoryLayout.MmioGapStart.Value));
    }
}
