namespace Glue.Transports.Pci;

/// <summary>
/// virtio over PCI (virtio 1.2 §4.1), names and offsets as Linux's include/uapi/linux/virtio_pci.h gives them:
/// the vendor capability types and fields (§4.1.4), the common configuration (§4.1.4.3), the ISR bits
/// (§4.1.4.5) and the MSI-X "no vector" value (§4.1.5.1.2).
/// </summary>
public static class VirtioPciRegisters
{
    public const ushort PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;   // §4.1.2: the vendor of every virtio device
    public const ushort VIRTIO_PCI_MODERN_DEVICE_ID_BASE = 0x1040; // §4.1.2.1: modern device ID = 0x1040 + device type
    public const byte VIRTIO_PCI_MODERN_REVISION = 1;             // §4.1.2.1: revision 1 or more, no legacy interface
    public const ushort VIRTIO_PCI_SUBSYSTEM_ID = 0x1100;          // what QEMU gives modern devices; §4.1.2.1 leaves it free

    // struct virtio_pci_cap cfg_type (§4.1.4).
    public const byte VIRTIO_PCI_CAP_COMMON_CFG = 1;
    public const byte VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
    public const byte VIRTIO_PCI_CAP_ISR_CFG = 3;
    public const byte VIRTIO_PCI_CAP_DEVICE_CFG = 4;
    public const byte VIRTIO_PCI_CAP_PCI_CFG = 5;

    // struct virtio_pci_cap, from the capability's start.
    public const int VIRTIO_PCI_CAP_LEN = 2, VIRTIO_PCI_CAP_CFG_TYPE = 3, VIRTIO_PCI_CAP_BAR = 4, VIRTIO_PCI_CAP_ID = 5;
    public const int VIRTIO_PCI_CAP_OFFSET = 8, VIRTIO_PCI_CAP_LENGTH = 12;
    public const int VirtioPciCapSize = 16;                        // sizeof(struct virtio_pci_cap)
    public const int VIRTIO_PCI_NOTIFY_CAP_MULT = 16;              // struct virtio_pci_notify_cap: notify_off_multiplier
    public const int VirtioPciNotifyCapSize = 20;
    public const int VIRTIO_PCI_CFG_DATA = 16;                     // struct virtio_pci_cfg_cap: pci_cfg_data[4]
    public const int VirtioPciCfgCapSize = 20;

    // struct virtio_pci_common_cfg (§4.1.4.3), with 1.2's queue_notify_data and queue_reset.
    public const int VIRTIO_PCI_COMMON_DFSELECT = 0;     // le32 device_feature_select
    public const int VIRTIO_PCI_COMMON_DF = 4;           // le32 device_feature, read-only
    public const int VIRTIO_PCI_COMMON_GFSELECT = 8;     // le32 driver_feature_select
    public const int VIRTIO_PCI_COMMON_GF = 12;          // le32 driver_feature
    public const int VIRTIO_PCI_COMMON_MSIX = 16;        // le16 config_msix_vector
    public const int VIRTIO_PCI_COMMON_NUMQ = 18;        // le16 num_queues, read-only
    public const int VIRTIO_PCI_COMMON_STATUS = 20;      // u8 device_status
    public const int VIRTIO_PCI_COMMON_CFGGENERATION = 21; // u8 config_generation, read-only
    public const int VIRTIO_PCI_COMMON_Q_SELECT = 22;    // le16 queue_select
    public const int VIRTIO_PCI_COMMON_Q_SIZE = 24;      // le16 queue_size
    public const int VIRTIO_PCI_COMMON_Q_MSIX = 26;      // le16 queue_msix_vector
    public const int VIRTIO_PCI_COMMON_Q_ENABLE = 28;    // le16 queue_enable
    public const int VIRTIO_PCI_COMMON_Q_NOFF = 30;      // le16 queue_notify_off, read-only
    public const int VIRTIO_PCI_COMMON_Q_DESCLO = 32;    // le64 queue_desc, as two le32
    public const int VIRTIO_PCI_COMMON_Q_DESCHI = 36;
    public const int VIRTIO_PCI_COMMON_Q_AVAILLO = 40;   // le64 queue_driver
    public const int VIRTIO_PCI_COMMON_Q_AVAILHI = 44;
    public const int VIRTIO_PCI_COMMON_Q_USEDLO = 48;    // le64 queue_device
    public const int VIRTIO_PCI_COMMON_Q_USEDHI = 52;
    public const int VIRTIO_PCI_COMMON_Q_NDATA = 56;     // le16 queue_notify_data (VIRTIO_F_NOTIF_CONFIG_DATA only)
    public const int VIRTIO_PCI_COMMON_Q_RESET = 58;     // le16 queue_reset (VIRTIO_F_RING_RESET only)
    public const int VirtioPciCommonCfgSize = 60;

    public const byte VIRTIO_PCI_ISR_QUEUE = 0x1;        // ISR status: a used buffer notification (MSI-X disabled)
    public const byte VIRTIO_PCI_ISR_CONFIG = 0x2;       // ISR status: a configuration change

    public const ushort VIRTIO_MSI_NO_VECTOR = 0xffff;
}
