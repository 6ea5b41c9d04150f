using Glue.Core.Firmware;
using Glue.Core.Firmware.Acpi;
using Xunit;

namespace Glue.Tests.Core.Firmware;

/// <summary>The AML encoder against the encodings of ACPI 6.5, 20.2 and 6.4, byte for byte.</summary>
public sealed class AmlTests
{
    [Theory]
    [InlineData(0x00, new byte[] { 0x00 })]
    [InlineData(0x3f, new byte[] { 0x3f })]                     // the largest one-byte form
    [InlineData(0x40, new byte[] { 0x40, 0x04 })]               // bits 7-6: one more byte; low nibble, then length >> 4
    [InlineData(0xfff, new byte[] { 0x4f, 0xff })]
    [InlineData(0x1000, new byte[] { 0x80, 0x00, 0x01 })]
    [InlineData(0xfffff, new byte[] { 0x8f, 0xff, 0xff })]
    [InlineData(0x100000, new byte[] { 0xc0, 0x00, 0x00, 0x01 })]
    [InlineData(0xfffffff, new byte[] { 0xcf, 0xff, 0xff, 0xff })]
    public void PkgLength_takes_the_one_to_four_byte_forms(int length, byte[] expected) =>
        Assert.Equal(expected, Aml.PkgLength(length));

    [Fact]
    public void PkgLength_beyond_28_bits_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Aml.PkgLength(0x10000000));

    [Fact]
    public void A_package_length_counts_its_own_bytes_at_the_one_byte_boundary()
    {
        // 60 data bytes + BytePrefix 60 = 62, + 1 PkgLength byte = 63: still one byte.
        byte[] fits = Aml.Buffer(new byte[60]);
        Assert.Equal(new byte[] { 0x11, 0x3f, 0x0a, 60 }, fits[..4]);
        Assert.Equal(1 + 63, fits.Length);
        // 61 + 2 = 63, + 1 = 64 does not fit one byte; with two it is 65 = 0x41.
        byte[] spills = Aml.Buffer(new byte[61]);
        Assert.Equal(new byte[] { 0x11, 0x41, 0x04, 0x0a, 61 }, spills[..5]);
        Assert.Equal(1 + 65, spills.Length);
    }

    [Theory]
    [InlineData(0UL, new byte[] { 0x00 })]                                  // ZeroOp
    [InlineData(1UL, new byte[] { 0x01 })]                                  // OneOp
    [InlineData(2UL, new byte[] { 0x0a, 0x02 })]                            // BytePrefix
    [InlineData(0xffUL, new byte[] { 0x0a, 0xff })]
    [InlineData(0x100UL, new byte[] { 0x0b, 0x00, 0x01 })]                  // WordPrefix
    [InlineData(0x12345678UL, new byte[] { 0x0c, 0x78, 0x56, 0x34, 0x12 })] // DWordPrefix
    [InlineData(0x1_0000_0000UL, new byte[] { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 })] // QWordPrefix
    public void Integers_take_the_shortest_encoding(ulong value, byte[] expected) =>
        Assert.Equal(expected, Aml.Integer(value));

    [Theory]
    [InlineData("_SB_", new byte[] { 0x5f, 0x53, 0x42, 0x5f })]
    [InlineData("\\_SB_", new byte[] { 0x5c, 0x5f, 0x53, 0x42, 0x5f })]   // RootChar, NameSeg
    [InlineData("\\_S5", new byte[] { 0x5c, 0x5f, 0x53, 0x35, 0x5f })]    // padded with '_'
    [InlineData("COM1", new byte[] { 0x43, 0x4f, 0x4d, 0x31 })]
    public void Names_are_a_name_segment_optionally_from_the_root(string name, byte[] expected) =>
        Assert.Equal(expected, Aml.NameString(name));

    [Theory]
    [InlineData("")]
    [InlineData("\\")]
    [InlineData("1COM")]
    [InlineData("COM12")]
    [InlineData("com1")]
    [InlineData("_SB_.COM1")]
    public void Names_that_are_not_one_name_segment_are_refused(string name) =>
        Assert.Throws<ArgumentException>(() => Aml.NameString(name));

    [Fact]
    public void A_string_is_prefixed_and_nul_terminated() =>
        Assert.Equal(new byte[] { 0x0d, (byte)'L', (byte)'N', (byte)'R', (byte)'O', (byte)'0', (byte)'0', (byte)'0', (byte)'5', 0x00 },
            Aml.String("LNRO0005"));

    [Theory]
    [InlineData("PNP0501", new byte[] { 0x0c, 0x41, 0xd0, 0x05, 0x01 })]
    [InlineData("PNP0A03", new byte[] { 0x0c, 0x41, 0xd0, 0x0a, 0x03 })]
    public void An_eisa_id_is_the_compressed_dword_the_asl_compiler_emits(string id, byte[] expected) =>
        Assert.Equal(expected, Aml.EisaId(id));

    [Theory]
    [InlineData("PNP0501", true)]
    [InlineData("LNRO0005", false)]
    [InlineData("pnp0501", false)]
    [InlineData("PNP050G", false)]
    public void Only_three_letters_and_four_hex_digits_are_an_eisa_id(string id, bool expected) =>
        Assert.Equal(expected, Aml.IsEisaId(id));

    [Fact]
    public void A_package_holds_its_element_count_and_elements() =>
        Assert.Equal(new byte[] { 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00 },
            Aml.Package(Aml.Integer(5), Aml.Integer(0), Aml.Integer(0), Aml.Integer(0)));

    [Fact]
    public void A_name_binds_a_name_segment_to_a_value() =>
        Assert.Equal(new byte[] { 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00 }, Aml.Name("_UID", Aml.Integer(0)));

    [Fact]
    public void A_scope_is_opcode_length_name_and_terms() =>
        Assert.Equal(new byte[] { 0x10, 0x0c, 0x5c, 0x5f, 0x53, 0x42, 0x5f, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00 },
            Aml.Scope("\\_SB_", Aml.Name("_UID", Aml.Integer(0))));

    [Fact]
    public void A_device_takes_the_extended_opcode() =>
        Assert.Equal(new byte[] { 0x5b, 0x82, 0x0b, 0x43, 0x4f, 0x4d, 0x31, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00 },
            Aml.Device("COM1", Aml.Name("_UID", Aml.Integer(0))));

    [Fact]
    public void A_resource_template_holds_io_memory_and_interrupt_descriptors_and_an_end_tag()
    {
        byte[] template = ResourceTemplate.For([new IoPortResource(0x3f8, 8), new MmioResource(0xd000_0000, 0x1000), new InterruptResource(4)]);
        byte[] descriptors =
        [
            0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,                         // IO (Decode16, 0x3F8, 0x3F8, 1, 8)
            0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00, 0x00, // Memory32Fixed (ReadWrite, 0xD0000000, 0x1000)
            0x89, 0x06, 0x00, 0x03, 0x01, 0x04, 0x00, 0x00, 0x00,                   // Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {4}
            0x79,                                                                   // End Tag, then its checksum
        ];
        Assert.Equal(new byte[] { 0x11, (byte)(3 + descriptors.Length + 1), 0x0a, (byte)(descriptors.Length + 1) }, template[..4]);
        Assert.Equal(descriptors, template[4..^1]);
        Assert.Equal(0, GuestAcpiTables.Sum(template.AsSpan(4)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(256)]
    public void An_io_range_an_io_descriptor_cannot_hold_is_refused(int length) =>
        Assert.Throws<ArgumentException>(() => ResourceTemplate.For([new IoPortResource(0x3f8, (ushort)length)]));
}
