namespace Glue.Transports.Pci;

/// <summary>
/// Where each structure sits in the device's one memory BAR (BAR 0, 64-bit, non-prefetchable, 32 KiB), each on its
/// own 4 KiB page as QEMU lays them out, so that the MSI-X table shares a page with nothing else (PCI 3.0, 6.8.2).
/// Queue n's notify address is <see cref="Notify"/> + n * <see cref="NotifyOffMultiplier"/>.
/// </summary>
public static class VirtioPciBarLayout
{
    public const int Bar = 0;
    public const ulong Size = 0x8000;

    public const uint Common = 0x0000, CommonLength = 0x1000;
    public const uint Isr = 0x1000, IsrLength = 0x1000;
    public const uint Device = 0x2000, DeviceLength = 0x1000;
    public const uint Notify = 0x3000, NotifyLength = 0x1000;
    public const uint MsixTable = 0x4000, MsixTableLength = 0x1000;
    public const uint MsixPba = 0x5000, MsixPbaLength = 0x1000;

    /// <summary>4 bytes per queue, as QEMU's modern devices without page-per-vq; the notify page holds 1024 queues.</summary>
    public const uint NotifyOffMultiplier = 4;

    /// <summary>The most queues the layout holds: one vector per queue plus the config vector must fit the table page.</summary>
    public const int MaxQueues = (int)(MsixTableLength / 16) - 1;
}
