using System.Buffers.Binary;
using Glue.Core.Firmware;
using Glue.Core.Memory;
using Xunit;

namespace Glue.Tests.Core.Firmware;

/// <summary>The MP 1.4 floating pointer and configuration table, read back from guest memory.</summary>
public sealed class MpTableTests
{
    private static (byte[] Pointer, byte[] Config) Write(int cpus)
    {
        using var memory = LoaderTestBase.Memory(128);
        FirmwareTables.Write(memory, SamplePlatforms.With(cpus));
        byte[] pointer = memory.GetSpan(MemoryLayout.MpTable, 16).ToArray();
        var configAddress = new GuestAddress(BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(4)));
        int length = BinaryPrimitives.ReadUInt16LittleEndian(memory.GetSpan(configAddress.Offset(4), 2));
        return (pointer, memory.GetSpan(configAddress, length).ToArray());
    }

    private static List<byte[]> Entries(byte[] config)
    {
        var entries = new List<byte[]>();
        for (int at = 44; at < config.Length; at += config[at] == 0 ? 20 : 8) entries.Add(config[at..(at + (config[at] == 0 ? 20 : 8))]);
        return entries;
    }

    [Fact]
    public void The_floating_pointer_points_at_the_configuration_table_right_after_it()
    {
        var (pointer, _) = Write(1);
        Assert.Equal("_MP_"u8.ToArray(), pointer[..4]);
        Assert.Equal(MemoryLayout.MpTable.Value + 16, BinaryPrimitives.ReadUInt32LittleEndian(pointer.AsSpan(4)));
        Assert.Equal(1, pointer[8]);    // one 16-byte paragraph
        Assert.Equal(4, pointer[9]);    // MP 1.4
        Assert.Equal(0, GuestAcpiTables.Sum(pointer));
        Assert.All(pointer[11..], b => Assert.Equal(0, b)); // a configuration table, virtual wire mode
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(FirmwareTables.MaxCpus)]
    public void The_configuration_table_checksums_and_counts_its_entries(int cpus)
    {
        var (pointer, config) = Write(cpus);
        Assert.Equal("PCMP"u8.ToArray(), config[..4]);
        Assert.Equal(4, config[6]);
        Assert.Equal(0, GuestAcpiTables.Sum(config));
        Assert.Equal(0xfee00000u, BinaryPrimitives.ReadUInt32LittleEndian(config.AsSpan(36)));
        Assert.Equal(new byte[] { 0, 0, 0 }, config[40..43]); // no extended table
        Assert.Equal(cpus + 1 + 1 + 15 + 2, BinaryPrimitives.ReadUInt16LittleEndian(config.AsSpan(34)));
        Assert.Equal(config.Length - 44, Entries(config).Sum(e => e.Length));
        Assert.True(pointer.Length + config.Length <= 1024);
    }

    [Fact]
    public void The_first_cpu_is_the_boot_processor_and_all_are_enabled()
    {
        var processors = Entries(Write(4).Config).Where(e => e[0] == 0).ToList();
        Assert.Equal(4, processors.Count);
        for (int cpu = 0; cpu < 4; cpu++)
        {
            Assert.Equal(cpu, processors[cpu][1]);              // local APIC id
            Assert.Equal(0x14, processors[cpu][2]);             // KVM's local APIC version
            Assert.Equal(cpu == 0 ? 3 : 1, processors[cpu][3]); // enabled, and BSP on CPU 0
            Assert.Equal(0x600u, BinaryPrimitives.ReadUInt32LittleEndian(processors[cpu].AsSpan(4)));
        }
    }

    [Fact]
    public void The_isa_bus_and_io_apic_follow_the_processors()
    {
        var entries = Entries(Write(2).Config);
        Assert.Equal([1, 0, .. "ISA   "u8.ToArray()], Assert.Single(entries, e => e[0] == 1));
        Assert.Equal(new byte[] { 2, 2, 0x11, 1, 0x00, 0x00, 0xc0, 0xfe }, Assert.Single(entries, e => e[0] == 2));
    }

    [Fact]
    public void Isa_irqs_reach_the_io_apic_pin_of_their_number_except_the_cascade()
    {
        var interrupts = Entries(Write(2).Config).Where(e => e[0] == 3).ToList();
        Assert.Equal(Enumerable.Range(0, 16).Where(irq => irq != 2), interrupts.Select(e => (int)e[5]));
        Assert.All(interrupts, e => Assert.Equal(new byte[] { 3, 0, 0, 0, 0, e[5], 2, e[5] }, e));
    }

    [Fact]
    public void Every_local_apic_has_extint_on_lint0_and_nmi_on_lint1() =>
        Assert.Equal([[4, 3, 0, 0, 0, 0, 0xff, 0], [4, 1, 0, 0, 0, 0, 0xff, 1]], Entries(Write(2).Config).Where(e => e[0] == 4));
}
