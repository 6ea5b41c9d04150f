using System.Buffers.Binary;
using Glue.Core.Firmware;
using Glue.Core.Firmware.Acpi;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core.Firmware;

/// <summary>The ACPI tables FirmwareTables writes, read back the way a guest reads them.</summary>
public sealed class AcpiTablesTests
{
    private static GuestAcpiTables Write(PlatformDescription platform)
    {
        using var memory = LoaderTestBase.Memory(128);
        GuestAddress rsdp = FirmwareTables.Write(memory, platform);
        Assert.Equal(MemoryLayout.AcpiTables, rsdp);
        return GuestAcpiTables.Read(memory, rsdp);
    }

    private static IEnumerable<byte[]> Entries(byte[] madt, byte type)
    {
        for (int at = 44; at < madt.Length; at += madt[at + 1])
        {
            if (madt[at] == type) yield return madt[at..(at + madt[at + 1])];
        }
    }

    [Fact]
    public void The_rsdp_is_revision_2_with_both_checksums_and_the_xsdt_address()
    {
        var tables = Write(SamplePlatforms.With(cpus: 1));
        Assert.Equal("RSD PTR "u8.ToArray(), tables.Rsdp[..8]);
        Assert.Equal("GLUE  "u8.ToArray(), tables.Rsdp[9..15]);
        Assert.Equal(2, tables.Rsdp[15]);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(tables.Rsdp.AsSpan(16)));   // no RSDT
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32LittleEndian(tables.Rsdp.AsSpan(20)));
        Assert.Equal(tables.Tables["XSDT"].Address.Value, BinaryPrimitives.ReadUInt64LittleEndian(tables.Rsdp.AsSpan(24)));
        Assert.Equal(0, GuestAcpiTables.Sum(tables.Rsdp.AsSpan(0, 20)));
        Assert.Equal(0, GuestAcpiTables.Sum(tables.Rsdp));
    }

    [Fact]
    public void Every_table_sums_to_zero_and_lies_aligned_in_the_acpi_area_without_overlap()
    {
        var tables = Write(SamplePlatforms.With(cpus: 2, virtioDevices: 4));
        Assert.Equal(["APIC", "DSDT", "FACP", "XSDT"], tables.Tables.Keys.Order());
        var placed = tables.Tables.Values.OrderBy(t => t.Address).ToList();
        Assert.True(placed[0].Address >= MemoryLayout.AcpiTables.Offset(36));
        Assert.True(placed[^1].Address.Offset((ulong)placed[^1].Bytes.Length) <= MemoryLayout.AcpiTablesEnd);
        for (int i = 0; i < placed.Count; i++)
        {
            Assert.Equal(0, GuestAcpiTables.Sum(placed[i].Bytes));
            Assert.Equal(0UL, placed[i].Address.Value % 16);
            Assert.Equal("GLUE  "u8.ToArray(), placed[i].Bytes[10..16]);
            if (i > 0) Assert.True(placed[i - 1].Address.Offset((ulong)placed[i - 1].Bytes.Length) <= placed[i].Address);
        }
        Assert.Equal(36 + 2 * 8, tables["XSDT"].Length);
        Assert.Equal(1, tables["XSDT"][8]);
    }

    [Fact]
    public void The_fadt_is_a_hardware_reduced_revision_6_5_table_with_the_sleep_registers_and_x_dsdt()
    {
        var tables = Write(SamplePlatforms.With(cpus: 1));
        byte[] fadt = tables["FACP"];
        Assert.Equal(276, fadt.Length);
        Assert.Equal(6, fadt[8]);
        Assert.Equal(5, fadt[131]);                                                           // FADT Minor Version
        Assert.Equal(1u << 20, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(112)));   // HW_REDUCED_ACPI
        Assert.Equal(1 << 2 | 1 << 5, BinaryPrimitives.ReadUInt16LittleEndian(fadt.AsSpan(109))); // no VGA, no CMOS RTC
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(fadt.AsSpan(40)));          // 32-bit DSDT unused
        Assert.Equal(tables.Tables["DSDT"].Address.Value, BinaryPrimitives.ReadUInt64LittleEndian(fadt.AsSpan(140)));
        byte[] gas = [1, 8, 0, 1, .. BitConverter.GetBytes((ulong)SleepControlRegister.Port)]; // SystemIO, 8 bits, byte access
        Assert.Equal(gas, fadt[244..256]);
        Assert.Equal(gas, fadt[256..268]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void The_madt_has_one_enabled_local_apic_per_cpu_with_uid_and_apic_id_the_index(int cpus)
    {
        byte[] madt = Write(SamplePlatforms.With(cpus))["APIC"];
        Assert.Equal(6, madt[8]);
        Assert.Equal(0xfee00000u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(36)));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(madt.AsSpan(40)));          // PCAT_COMPAT
        var lapics = Entries(madt, 0).ToList();
        Assert.Equal(cpus, lapics.Count);
        for (int cpu = 0; cpu < cpus; cpu++)
        {
            Assert.Equal(new byte[] { 0, 8, (byte)cpu, (byte)cpu, 1, 0, 0, 0 }, lapics[cpu]);
        }
    }

    [Fact]
    public void The_madt_has_the_io_apic_after_the_cpus_and_identity_overrides_for_the_isa_irqs_in_use()
    {
        byte[] madt = Write(SamplePlatforms.With(cpus: 2, virtioDevices: 1))["APIC"];
        var ioApic = Assert.Single(Entries(madt, 1));
        Assert.Equal(new byte[] { 1, 12, 2, 0, 0x00, 0x00, 0xc0, 0xfe, 0, 0, 0, 0 }, ioApic);
        // IRQ0 (the PIT), IRQ4 (COM1) and IRQ5 (the virtio device), each to the GSI of its number.
        Assert.Equal([[2, 10, 0, 0, 0, 0, 0, 0, 0, 0], [2, 10, 0, 4, 4, 0, 0, 0, 0, 0], [2, 10, 0, 5, 5, 0, 0, 0, 0, 0]], Entries(madt, 2));
        Assert.Equal([[4, 6, 0xff, 0, 0, 1]], Entries(madt, 4));                             // NMI on LINT1 of all
    }

    [Fact]
    public void The_dsdt_holds_the_devices_in_sb_and_the_s5_package()
    {
        byte[] dsdt = Write(SamplePlatforms.With(cpus: 1))["DSDT"];
        Assert.Equal(2, dsdt[8]);
        byte[] aml = dsdt[36..];
        byte[] com1 = Aml.Device("COM1", Aml.Name("_HID", Aml.EisaId("PNP0501")), Aml.Name("_UID", Aml.Integer(0)),
            Aml.Name("_CRS", ResourceTemplate.For(SamplePlatforms.Com1.Resources)));
        byte[] vr00 = Aml.Device("VR00", Aml.Name("_HID", Aml.String("LNRO0005")), Aml.Name("_UID", Aml.Integer(0)),
            Aml.Name("_CRS", ResourceTemplate.For(SamplePlatforms.VirtioMmio(0).Resources)));
        byte[] s5 = [0x08, 0x5c, 0x5f, 0x53, 0x35, 0x5f, 0x12, 0x07, 0x04, 0x0a, SleepControlRegister.S5SleepType, 0x00, 0x00, 0x00];
        Assert.Equal([.. Aml.Scope("\\_SB_", com1, vr00), .. s5], aml);
    }

    [Fact]
    public void The_tables_fit_for_the_most_cpus_and_devices()
    {
        var platform = SamplePlatforms.With(FirmwareTables.MaxCpus, SamplePlatforms.MaxVirtioDevices);
        var tables = Write(platform);
        Assert.Equal(FirmwareTables.MaxCpus, Entries(tables["APIC"], 0).Count());
        Assert.Equal(SamplePlatforms.MaxVirtioDevices + 1, CountOf(tables["DSDT"], [0x5b, 0x82]));
    }

    [Fact]
    public void More_cpus_than_the_mp_table_holds_are_refused()
    {
        var e = Assert.Throws<FirmwareException>(() => Write(SamplePlatforms.With(FirmwareTables.MaxCpus + 1)));
        Assert.Contains($"at most {FirmwareTables.MaxCpus} vCPUs", e.Message);
    }

    [Fact]
    public void A_dsdt_too_large_for_the_acpi_area_is_refused_before_anything_is_written()
    {
        var devices = Enumerable.Range(0, 3000).Select(i => new PlatformDevice($"D{i:X3}", "LNRO0005", (uint)i,
            [new MmioResource(0xd000_0000 + (uint)i * 0x200, 0x200), new InterruptResource(5)]));
        using var memory = LoaderTestBase.Memory(128);
        var e = Assert.Throws<FirmwareException>(() => FirmwareTables.Write(memory, new PlatformDescription(1, [.. devices])));
        Assert.Contains("ACPI tables", e.Message);
        Assert.All(memory.GetSpan(MemoryLayout.MpTable, 1024).ToArray(), b => Assert.Equal(0, b));
        Assert.All(memory.GetSpan(MemoryLayout.AcpiTables, 64).ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void Two_devices_of_one_name_are_refused()
    {
        using var memory = LoaderTestBase.Memory(128);
        var platform = new PlatformDescription(1, [SamplePlatforms.Com1, SamplePlatforms.Com1]);
        Assert.Throws<ArgumentException>(() => FirmwareTables.Write(memory, platform));
    }

    [Fact]
    public void An_interrupt_beyond_the_io_apic_is_refused()
    {
        using var memory = LoaderTestBase.Memory(128);
        var platform = new PlatformDescription(1, [new PlatformDevice("VR00", "LNRO0005", 0, [new InterruptResource(FirmwareTables.IoApicPins)])]);
        Assert.Throws<ArgumentException>(() => FirmwareTables.Write(memory, platform));
    }

    private static int CountOf(byte[] haystack, byte[] needle)
    {
        int count = 0;
        for (int at = haystack.AsSpan().IndexOf(needle); at >= 0; count++)
        {
            int next = haystack.AsSpan(at + 1).IndexOf(needle);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return count;
    }
}
