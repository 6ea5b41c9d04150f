using System.Buffers.Binary;
using static Glue.Core.Pci.PciRegisters;

namespace Glue.Core.Pci;

/// <summary>
/// The MSI-X capability structure (PCI Local Bus 3.0, 6.8.2): Message Control (table size, function mask, enable:
/// the guest may write only the last two), the table's and the PBA's BAR (BIR, bits 2-0) and offset in it.
/// </summary>
public sealed class MsixCapability
{
    private readonly PciConfigSpace _config;
    private readonly MsixTable _table;

    public MsixCapability(PciConfigSpace config, MsixTable table, int bar, uint tableOffset, uint pbaOffset)
    {
        if ((tableOffset | pbaOffset) % 8 != 0) throw new ArgumentException("the MSI-X table and PBA are QWORD aligned in their BAR");
        _config = config;
        _table = table;
        Span<byte> body = stackalloc byte[PCI_CAP_MSIX_SIZEOF - 2];
        BinaryPrimitives.WriteUInt16LittleEndian(body, table.MessageControl);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(PCI_MSIX_TABLE - 2)..], tableOffset | (uint)bar);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(PCI_MSIX_PBA - 2)..], pbaOffset | (uint)bar);
        Span<byte> writable = stackalloc byte[body.Length];
        writable.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(writable, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
        Offset = config.AddCapability(PCI_CAP_ID_MSIX, body, writable);
    }

    /// <summary>Where the capability is in configuration space.</summary>
    public int Offset { get; }

    /// <summary>Call after a guest write of config space at [offset, offset + length): a Message Control write reaches the table.</summary>
    public void AfterConfigWrite(int offset, int length)
    {
        int control = Offset + PCI_MSIX_FLAGS;
        if (offset < control + 2 && control < offset + length)
            _table.WriteMessageControl(BinaryPrimitives.ReadUInt16LittleEndian(_config.Bytes(control, 2)));
    }
}
