using System.Diagnostics;
using System.Text.RegularExpressions;
using Glue.Core.Firmware;
using Xunit;

namespace Glue.Tests.Core.Firmware;

/// <summary>
/// ACPICA's iasl (Debian's acpica-tools) as an independent reader of the generated tables: iasl -d disassembles
/// XSDT, FADT, MADT and DSDT. iasl cannot load an RSDP from a binary file (source/common/acfileio.c: "Loading an
/// RSDP is not supported"), so for the RSDP iasl compiles its own data-table source with our field values and the
/// bytes must match, both checksums included. iasl is a build dependency (build.sh installs it): its absence fails
/// these tests instead of skipping them.
/// </summary>
public sealed class IaslDisassemblyTests : LoaderTestBase
{
    private const int Cpus = 4;

    // iasl reports a bad checksum or a malformed subtable inside the .dsl and still exits 0, so both are searched.
    private static readonly Regex Problem = new(@"incorrect|invalid|unknown|error|warning|\*\*\*\*", RegexOptions.IgnoreCase);

    private readonly GuestAcpiTables _tables;
    private readonly GuestAcpiTables _pciTables;

    public IaslDisassemblyTests()
    {
        using var memory = Memory(128);
        _tables = GuestAcpiTables.Read(memory, FirmwareTables.Write(memory, SamplePlatforms.With(Cpus, virtioDevices: 2)));
        _pciTables = GuestAcpiTables.Read(memory, FirmwareTables.Write(memory, SamplePlatforms.WithPci(Cpus)));
    }

    private string Disassemble(string signature, GuestAcpiTables? tables = null)
    {
        string name = signature.ToLowerInvariant();
        WriteFile(name + ".dat", (tables ?? _tables)[signature]);
        string output = Iasl("-d", name + ".dat");
        string dsl = File.ReadAllText(Path.Combine(Directory, name + ".dsl"));
        Assert.DoesNotMatch(Problem, output);
        Assert.DoesNotMatch(Problem, dsl);
        return dsl;
    }

    /// <summary>Runs iasl in the test's folder; fails unless it exits 0. Returns what it printed.</summary>
    private string Iasl(params string[] arguments)
    {
        var start = new ProcessStartInfo("iasl") { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Assert.Fail("iasl is not installed: install acpica-tools (apt-get install acpica-tools; ./build.sh installs it)");
            throw;
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                Assert.Fail($"iasl {string.Join(' ', arguments)} did not finish in 30 s");
            }
            string output = stdout + stderr.Result;
            Assert.True(process.ExitCode == 0, $"iasl {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}");
            return output;
        }
    }

    [Fact]
    public void Iasl_compiles_the_same_rsdp_from_our_field_values_with_both_checksums()
    {
        ulong xsdt = _tables.Tables["XSDT"].Address.Value;
        File.WriteAllText(Path.Combine(Directory, "rsdp.asl"), $"""
            [0008]                          Signature : "RSD PTR "
            [0001]                           Checksum : 00
            [0006]                             Oem ID : "GLUE  "
            [0001]                           Revision : 02
            [0004]                       RSDT Address : 00000000
            [0004]                             Length : 00000024
            [0008]                       XSDT Address : {xsdt:X16}
            [0001]                  Extended Checksum : 00
            [0003]                           Reserved : 000000
            """);
        Assert.DoesNotMatch(Problem, Iasl("rsdp.asl").Replace("0 Errors, 0 Warnings", ""));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Directory, "rsdp.aml")), _tables.Rsdp);
    }

    [Fact]
    public void Iasl_reads_the_xsdt_listing_the_fadt_and_madt()
    {
        string xsdt = Disassemble("XSDT");
        Assert.Matches($@"ACPI Table Address\s+0 : 0*{_tables.Tables["FACP"].Address.Value:X}\b", xsdt);
        Assert.Matches($@"ACPI Table Address\s+1 : 0*{_tables.Tables["APIC"].Address.Value:X}\b", xsdt);
    }

    [Fact]
    public void Iasl_reads_the_fadt_as_hardware_reduced_with_the_sleep_registers_and_the_dsdt()
    {
        string fadt = Disassemble("FACP");
        Assert.Matches(@"Revision : 06", fadt);
        Assert.Matches(@"Table Length : 00000114", fadt);
        Assert.Matches(@"Hardware Reduced \(V5\) : 1", fadt);
        Assert.Matches($@"DSDT Address : 0*{_tables.Tables["DSDT"].Address.Value:X}\b", fadt);
        foreach (string register in new[] { "Sleep Control Register", "Sleep Status Register" })
        {
            Assert.Matches($@"{register} : \[Generic Address Structure\]\s+.*Space ID : 01 \[SystemIO\]\s+.*Bit Width : 08\s+" +
                @".*Bit Offset : 00\s+.*Encoded Access Width : 01 \[Byte Access:8\]\s+.*Address : 0000000000000600", fadt);
        }
    }

    [Fact]
    public void Iasl_reads_one_local_apic_per_cpu_and_the_io_apic_from_the_madt()
    {
        string madt = Disassemble("APIC");
        Assert.Equal(Cpus, Regex.Matches(madt, @"Subtable Type : 00 \[Processor Local APIC\]").Count);
        for (int cpu = 0; cpu < Cpus; cpu++)
        {
            Assert.Matches($@"Processor ID : {cpu:X2}\s+.*Local Apic ID : {cpu:X2}\s+" +
                @".*Flags \(decoded below\) : 00000001\s+Processor Enabled : 1", madt);
        }
        Assert.Single(Regex.Matches(madt, @"Subtable Type : 01 \[I/O APIC\]"));
        Assert.Matches($@"I/O Apic ID : {Cpus:X2}\s+.*Reserved : 00\s+.*Address : FEC00000\s+.*Interrupt : 00000000", madt);
        Assert.Matches(@"Local Apic Address : FEE00000", madt);
        Assert.Matches(@"PC-AT Compatibility : 1", madt);
    }

    [Fact]
    public void Iasl_decompiles_the_dsdt_to_the_devices_and_the_s5_package()
    {
        string dsdt = Disassemble("DSDT");
        Assert.Matches(@"Scope \(\\_SB\)", dsdt);
        Assert.Matches(@"Device \(COM1\)\s+\{\s+Name \(_HID, EisaId \(""PNP0501""\)", dsdt);
        Assert.Matches(@"IO \(Decode16,\s+0x03F8,.*\s+0x03F8,.*\s+0x01,.*\s+0x08,", dsdt);
        Assert.Matches(@"Device \(VR00\)\s+\{\s+Name \(_HID, ""LNRO0005""\)", dsdt);
        Assert.Matches(@"Device \(VR01\)\s+\{\s+Name \(_HID, ""LNRO0005""\)\s+.*\s+Name \(_UID, One\)", dsdt);
        Assert.Matches(@"Memory32Fixed \(ReadWrite,\s+0xD0001000,.*\s+0x00001000,", dsdt);
        Assert.Matches(@"Interrupt \(ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, \)\s+\{\s+0x00000004,", dsdt);
        Assert.Matches(@"Name \(\\_S5, Package \(0x04\)\s+.*\s+\{\s+0x05,", dsdt);
    }

    [Fact]
    public void Iasl_reads_the_xsdt_of_a_machine_with_pci_listing_the_mcfg()
    {
        string xsdt = Disassemble("XSDT", _pciTables);
        Assert.Matches($@"ACPI Table Address\s+2 : 0*{_pciTables.Tables["MCFG"].Address.Value:X}\b", xsdt);
    }

    [Fact]
    public void Iasl_reads_the_mcfg_as_one_ecam_window_for_bus_0_of_segment_0()
    {
        string mcfg = Disassemble("MCFG", _pciTables);
        Assert.Matches(@"Table Length : 0000003C", mcfg);
        Assert.Matches(@"Base Address : 00000000F0000000\s+.*Segment Group Number : 0000\s+.*Start Bus Number : 00\s+.*End Bus Number : 00", mcfg);
    }

    [Fact]
    public void Iasl_decompiles_the_dsdt_with_the_pci_host_bridge_its_windows_and_the_ecam_reservation()
    {
        string dsdt = Disassemble("DSDT", _pciTables);
        Assert.Matches(@"Device \(PCI0\)\s+\{\s+Name \(_HID, EisaId \(""PNP0A08""\)[^\n]*\s+Name \(_CID, EisaId \(""PNP0A03""\)", dsdt);
        Assert.Matches(@"WordBusNumber \(ResourceProducer, MinFixed, MaxFixed, PosDecode,\s+0x0000,[^\n]*\s+0x0000,[^\n]*\s+0x0000,[^\n]*\s+0x0000,[^\n]*\s+0x0001,", dsdt);
        Assert.Matches(@"IO \(Decode16,\s+0x0CF8,[^\n]*\s+0x0CF8,[^\n]*\s+0x01,[^\n]*\s+0x08,", dsdt);
        Assert.Matches(@"WordIO \(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,\s+0x0000,[^\n]*\s+0x0000,[^\n]*\s+0x0CF7,[^\n]*\s+0x0000,[^\n]*\s+0x0CF8,", dsdt);
        Assert.Matches(@"WordIO \(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange,\s+0x0000,[^\n]*\s+0x0D00,[^\n]*\s+0xFFFF,[^\n]*\s+0x0000,[^\n]*\s+0xF300,", dsdt);
        Assert.Matches(@"DWordMemory \(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,\s+0x00000000,[^\n]*\s+0xE0000000,[^\n]*\s+0xEFFFFFFF,[^\n]*\s+0x00000000,[^\n]*\s+0x10000000,", dsdt);
        Assert.Matches(@"QWordMemory \(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable, ReadWrite,\s+0x0000000000000000,[^\n]*\s+0x0000001000000000,[^\n]*\s+0x0000001FFFFFFFFF,[^\n]*\s+0x0000000000000000,[^\n]*\s+0x0000001000000000,", dsdt);
        Assert.Matches(@"Device \(MRES\)\s+\{\s+Name \(_HID, EisaId \(""PNP0C02""\)[\s\S]*Memory32Fixed \(ReadWrite,\s+0xF0000000,[^\n]*\s+0x00100000,", dsdt);
    }
}
