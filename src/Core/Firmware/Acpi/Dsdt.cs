namespace Glue.Core.Firmware.Acpi;

/// <summary>
/// The Differentiated System Description Table (ACPI 6.5, 5.2.11.1): a definition block in AML holding one
/// Device in \_SB_ per <see cref="PlatformDevice"/>, and the \_S5_ package that tells the guest which SLP_TYP
/// powers the machine off (7.4.2).
/// </summary>
internal static class Dsdt
{
    // Revision 2 and up: integers in this definition block are 64 bits wide.
    private const byte Revision = 2;

    public static byte[] Build(IReadOnlyList<PlatformDevice> devices)
    {
        var duplicate = devices.GroupBy(d => d.AcpiName).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two devices are named {duplicate.Key} in \\_SB_", nameof(devices));

        byte[] aml = Aml.Concat([
            Aml.Scope("\\_SB_", [.. devices.Select(Device)]),
            // \_S5_: SLP_TYP for the sleep control register, then one for PM1b (absent) and two reserved values.
            Aml.Name("\\_S5_", Aml.Package(Aml.Integer(SleepControlRegister.S5SleepType), Aml.Integer(0), Aml.Integer(0), Aml.Integer(0))),
        ]);
        return AcpiTable.Seal([.. new byte[AcpiTable.HeaderSize], .. aml], "DSDT", Revision);
    }

    private static byte[] Device(PlatformDevice device) => Aml.Device(device.AcpiName, [
        Aml.Name("_HID", Id(device.Hid)),
        .. device.Cid is { } cid ? [Aml.Name("_CID", Id(cid))] : Array.Empty<byte[]>(),
        Aml.Name("_UID", Aml.Integer(device.Uid)),
        Aml.Name("_CRS", ResourceTemplate.For(device.Resources))]);

    private static byte[] Id(string id) => Aml.IsEisaId(id) ? Aml.EisaId(id) : Aml.String(id);
}
