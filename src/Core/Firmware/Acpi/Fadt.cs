using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The Fixed ACPI Description Table, revision 6.5 (ACPI 6.5, 5.2.9), for a hardware-reduced platform (4.1): no
/// PM1/GPE blocks, no SCI, no FACS. What is left is the DSDT's address and the sleep registers, through which
/// the guest powers off.
/// </summary>
internal static class Fadt
{
    public const int Length = 276;
    private const byte Revision = 6, MinorVersion = 5;

    // Field offsets, from the FADT format table of 5.2.9.
    private const int IAPC_BOOT_ARCH = 109, Flags = 112, FADT_Minor_Version = 131, X_DSDT = 140;
    private const int SLEEP_CONTROL_REG = 244, SLEEP_STATUS_REG = 256, Hypervisor_Vendor_Identity = 268;

    // IA-PC Boot Architecture Flags (5.2.9.3): no VGA, and no CMOS RTC at ports 0x70-0x71. The 8042 flag stays
    // clear: the keyboard controller, where present, only resets the machine, which Linux does through port 0x64
    // without asking the FADT.
    private const ushort VGA_NOT_PRESENT = 1 << 2, CMOS_RTC_NOT_PRESENT = 1 << 5;

    // Fixed Feature Flags (5.2.9).
    private const uint HW_REDUCED_ACPI = 1 << 20;

    // Generic Address Structure (5.2.3.2): address space, bit width, bit offset, access size, address.
    private const byte SystemIo = 1, ByteAccess = 1;

    public static byte[] Build(GuestAddress dsdt)
    {
        var fadt = new byte[Length];
        Span<byte> span = fadt;
        BinaryPrimitives.WriteUInt16LittleEndian(span[IAPC_BOOT_ARCH..], VGA_NOT_PRESENT | CMOS_RTC_NOT_PRESENT);
        BinaryPrimitives.WriteUInt32LittleEndian(span[Flags..], HW_REDUCED_ACPI);
        span[FADT_Minor_Version] = MinorVersion;
        // Only X_DSDT: when it is set, the 32-bit DSDT field must be ignored, so it stays zero.
        BinaryPrimitives.WriteUInt64LittleEndian(span[X_DSDT..], dsdt.Value);
        WriteIoPort(span[SLEEP_CONTROL_REG..], SleepControlRegister.Port);
        WriteIoPort(span[SLEEP_STATUS_REG..], SleepControlRegister.Port);
        "GLUE    "u8.CopyTo(span[Hypervisor_Vendor_Identity..]);
        return AcpiTable.Seal(fadt, "FACP", Revision);
    }

    /// <summary>A Generic Address Structure for one byte-wide register in system I/O space.</summary>
    private static void WriteIoPort(Span<byte> gas, ushort port)
    {
        gas[0] = SystemIo;
        gas[1] = 8;
        gas[2] = 0;
        gas[3] = ByteAccess;
        BinaryPrimitives.WriteUInt64LittleEndian(gas[4..], port);
    }
}
