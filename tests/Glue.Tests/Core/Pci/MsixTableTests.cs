using System.Buffers.Binary;
using Glue.Core.Pci;
using Xunit;
using static Glue.Core.Pci.PciRegisters;

namespace Glue.Tests.Core.Pci;

/// <summary>MSI-X (PCI 3.0, 6.8): masking, the pending bit, single delivery on unmask, routing only what changed.</summary>
public sealed class MsixTableTests
{
    private readonly List<(int Vector, ulong Address, uint Data)> _routes = [];
    private readonly List<int> _delivered = [];
    private readonly MsixTable _msix;

    public MsixTableTests() => _msix = new MsixTable(3, (v, a, d) => _routes.Add((v, a, d)), _delivered.Add);

    private void Write32(int vector, int field, uint value)
    {
        Span<byte> data = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(data, value);
        _msix.WriteTable((ulong)(vector * PCI_MSIX_ENTRY_SIZE + field), data);
    }

    private uint Read32(int vector, int field)
    {
        Span<byte> data = stackalloc byte[4];
        _msix.ReadTable((ulong)(vector * PCI_MSIX_ENTRY_SIZE + field), data);
        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private ulong Pba()
    {
        Span<byte> data = stackalloc byte[8];
        _msix.ReadPba(0, data);
        return BinaryPrimitives.ReadUInt64LittleEndian(data);
    }

    /// <summary>As Linux programs a vector: the entry while masked, then unmasked.</summary>
    private void Program(int vector, uint data)
    {
        Write32(vector, PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0_0000);
        Write32(vector, PCI_MSIX_ENTRY_UPPER_ADDR, 0);
        Write32(vector, PCI_MSIX_ENTRY_DATA, data);
        Write32(vector, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    }

    [Fact]
    public void Vectors_start_masked_and_message_control_gives_the_table_size()
    {
        for (int v = 0; v < 3; v++) Assert.Equal(PCI_MSIX_ENTRY_CTRL_MASKBIT, Read32(v, PCI_MSIX_ENTRY_VECTOR_CTRL));
        Assert.Equal(2, _msix.MessageControl);
        Assert.Equal(48, _msix.TableSize);
        Assert.Equal(8, _msix.PbaSize);
    }

    [Fact]
    public void Nothing_is_delivered_while_msix_is_disabled()
    {
        Program(0, 0x41);
        Assert.False(_msix.Signal(0));
        Assert.Empty(_delivered);
        Assert.Equal(0ul, Pba());
    }

    [Fact]
    public void An_unmasked_vector_is_routed_once_and_delivered_each_time()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Program(1, 0x42);
        Assert.True(_msix.Signal(1));
        Assert.True(_msix.Signal(1));
        Assert.Equal([1, 1], _delivered);
        Assert.Equal([(1, 0xfee0_0000ul, 0x42u)], _routes);
    }

    [Fact]
    public void A_masked_vector_sets_its_pending_bit_and_is_delivered_once_on_unmask()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Program(2, 0x43);
        Write32(2, PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
        _msix.Signal(2);
        _msix.Signal(2);
        Assert.Empty(_delivered);
        Assert.Equal(1ul << 2, Pba());
        Assert.True(_msix.IsPending(2));
        Write32(2, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
        Assert.Equal([2], _delivered);
        Assert.Equal(0ul, Pba());
    }

    [Fact]
    public void The_function_mask_holds_every_vector_pending_until_it_clears()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        Program(0, 0x40);
        Program(1, 0x41);
        _msix.Signal(0);
        _msix.Signal(1);
        Assert.Empty(_delivered);
        Assert.Equal(0b11ul, Pba());
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Assert.Equal([0, 1], _delivered);
        Assert.Equal(0ul, Pba());
    }

    [Fact]
    public void A_message_changed_while_unmasked_is_routed_again_before_the_next_delivery()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Program(0, 0x40);
        Write32(0, PCI_MSIX_ENTRY_DATA, 0x50);
        _msix.Signal(0);
        Assert.Equal([(0, 0xfee0_0000ul, 0x40u), (0, 0xfee0_0000ul, 0x50u)], _routes);
        Assert.Equal([0], _delivered);
    }

    [Fact]
    public void Clearing_pending_bits_drops_what_a_reset_device_raised()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        _msix.Signal(0);
        _msix.ClearPending();
        Write32(0, PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
        Assert.Empty(_delivered);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0, 2)]
    [InlineData(2, 4)]
    [InlineData(44, 8)]
    [InlineData(48, 4)]
    [InlineData(ulong.MaxValue - 3, 4)]
    public void Table_accesses_of_the_wrong_width_unaligned_or_outside_read_zero_and_write_nothing(ulong offset, int width)
    {
        byte[] ones = [.. Enumerable.Repeat((byte)0xff, width)];
        _msix.WriteTable(offset, ones);
        var data = new byte[width];
        _msix.ReadTable(offset, data);
        Assert.All(data, b => Assert.Equal(0, b));
        Assert.Equal(PCI_MSIX_ENTRY_CTRL_MASKBIT, Read32(0, PCI_MSIX_ENTRY_VECTOR_CTRL));
        Assert.Empty(_routes);
    }

    [Fact]
    public void Reserved_vector_control_bits_read_zero()
    {
        Write32(1, PCI_MSIX_ENTRY_VECTOR_CTRL, 0xffff_fffe);
        Assert.Equal(0u, Read32(1, PCI_MSIX_ENTRY_VECTOR_CTRL));
    }

    [Fact]
    public void Signals_for_vectors_beyond_the_table_are_refused()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Assert.False(_msix.Signal(3));
        Assert.False(_msix.Signal(-1));
        Assert.Empty(_delivered);
    }

    [Fact]
    public void A_restored_table_routes_its_unmasked_vectors_again_and_keeps_the_pending_ones_pending()
    {
        _msix.WriteMessageControl(PCI_MSIX_FLAGS_ENABLE);
        Program(0, 0x40);
        Program(2, 0x42);
        Write32(2, PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
        _msix.Signal(2);
        var saved = System.Text.Json.Nodes.JsonNode.Parse(_msix.Save().ToJsonString())!.AsObject();

        var routes = new List<(int Vector, ulong Address, uint Data)>();
        var delivered = new List<int>();
        var restored = new MsixTable(3, (v, a, d) => routes.Add((v, a, d)), delivered.Add);
        restored.Restore(saved);

        Assert.True(restored.Enabled);
        Assert.Equal([(0, 0xfee0_0000ul, 0x40u)], routes);
        Assert.Empty(delivered);
        Assert.True(restored.IsPending(2));
        Assert.True(restored.Signal(0));
        Assert.Equal([0], delivered);
    }
}
