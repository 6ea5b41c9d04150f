using Glue.Core.Boot;
using Xunit;

namespace Glue.Tests.Core;

public sealed class BootGdtTests
{
    [Fact]
    public void Descriptors_encode_as_the_well_known_flat_segments()
    {
        Assert.Equal(0x00af9b000000ffffUL, BootGdt.Descriptors(EntryMode.Long64)[2]);
        Assert.Equal(0x00cf9b000000ffffUL, BootGdt.Descriptors(EntryMode.Protected32)[2]);
        Assert.Equal(0x00cf93000000ffffUL, BootGdt.Descriptors(EntryMode.Long64)[3]);
    }

    [Fact]
    public void Segments_decode_base_limit_and_flags_from_the_descriptor()
    {
        var code64 = BootGdt.Segment(0x10, BootGdt.Descriptors(EntryMode.Long64)[2]);
        Assert.Equal((0UL, 0xffffffffu, (ushort)0x10, (byte)0xb, (byte)1, (byte)1, (byte)0, (byte)1), (code64.@base, code64.limit, code64.selector, code64.type, code64.present, code64.l, code64.db, code64.g));
        var tss = BootGdt.Segment(0x20, BootGdt.Descriptors(EntryMode.Protected32)[4]);
        Assert.Equal((0x67u, (byte)0xb, (byte)0, (byte)0), (tss.limit, tss.type, tss.s, tss.g));
        var odd = BootGdt.Segment(0x8, BootGdt.Descriptor(0x4093, 0x12345678, 0xabcde));
        Assert.Equal((0x12345678UL, 0xabcdeu, (byte)1, (byte)0), (odd.@base, odd.limit, odd.db, odd.g));
    }
}
