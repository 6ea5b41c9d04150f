using System.Buffers.Binary;
using Glue.Core.Pci;
using static Glue.Transports.Pci.VirtioPciRegisters;
using L = Glue.Transports.Pci.VirtioPciBarLayout;

namespace Glue.Transports.Pci;

/// <summary>
/// The vendor-specific capabilities that tell the driver where the virtio structures are (virtio 1.2 §4.1.4):
/// common, notify (with its multiplier), ISR and device configuration, each a window of BAR 0, then the PCI
/// configuration access capability (§4.1.4.9), whose bar, offset and length the driver may write.
/// </summary>
internal static class VirtioPciCapabilities
{
    /// <summary>Adds the five capabilities to <paramref name="config"/>; returns the offset of the PCI configuration access one.</summary>
    public static int Add(PciConfigSpace config)
    {
        Add(config, VIRTIO_PCI_CAP_COMMON_CFG, L.Common, L.CommonLength);
        Add(config, VIRTIO_PCI_CAP_NOTIFY_CFG, L.Notify, L.NotifyLength, notifyOffMultiplier: L.NotifyOffMultiplier);
        Add(config, VIRTIO_PCI_CAP_ISR_CFG, L.Isr, L.IsrLength);
        Add(config, VIRTIO_PCI_CAP_DEVICE_CFG, L.Device, L.DeviceLength);
        return Add(config, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, pciCfg: true);
    }

    private static int Add(PciConfigSpace config, byte type, uint offset, uint length, uint? notifyOffMultiplier = null, bool pciCfg = false)
    {
        int size = pciCfg ? VirtioPciCfgCapSize : notifyOffMultiplier is null ? VirtioPciCapSize : VirtioPciNotifyCapSize;
        // The body is the capability without its ID and next pointer, so every field sits 2 bytes earlier.
        Span<byte> body = stackalloc byte[size - 2];
        body.Clear();
        body[VIRTIO_PCI_CAP_LEN - 2] = (byte)size;
        body[VIRTIO_PCI_CAP_CFG_TYPE - 2] = type;
        // The access capability's bar, offset and length are the driver's to set; they start at 0 (§4.1.4.9).
        body[VIRTIO_PCI_CAP_BAR - 2] = pciCfg ? (byte)0 : (byte)L.Bar;
        BinaryPrimitives.WriteUInt32LittleEndian(body[(VIRTIO_PCI_CAP_OFFSET - 2)..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(body[(VIRTIO_PCI_CAP_LENGTH - 2)..], length);
        if (notifyOffMultiplier is { } multiplier) BinaryPrimitives.WriteUInt32LittleEndian(body[(VIRTIO_PCI_NOTIFY_CAP_MULT - 2)..], multiplier);
        Span<byte> writable = stackalloc byte[body.Length];
        writable.Clear();
        if (pciCfg)
        {
            writable[VIRTIO_PCI_CAP_BAR - 2] = 0xff;
            writable.Slice(VIRTIO_PCI_CAP_OFFSET - 2, 8).Fill(0xff);
        }
        return config.AddCapability(PciRegisters.PCI_CAP_ID_VNDR, body, writable);
    }
}
