using System.Buffers.Binary;
using Glue.Core.Memory;

namespace Glue.Tests.Core.Firmware;

/// <summary>The ACPI tables as a guest finds them: the RSDP, the tables its XSDT lists, and the DSDT the FADT points at.</summary>
internal sealed class GuestAcpiTables
{
    public required byte[] Rsdp { get; init; }
    public required IReadOnlyDictionary<string, (GuestAddress Address, byte[] Bytes)> Tables { get; init; }

    public byte[] this[string signature] => Tables[signature].Bytes;

    public static GuestAcpiTables Read(GuestMemory memory, GuestAddress rsdpAddress)
    {
        byte[] rsdp = memory.GetSpan(rsdpAddress, 36).ToArray();
        var tables = new Dictionary<string, (GuestAddress, byte[])>();
        var xsdtAddress = new GuestAddress(BinaryPrimitives.ReadUInt64LittleEndian(rsdp.AsSpan(24)));
        byte[] xsdt = Table(memory, xsdtAddress);
        tables.Add("XSDT", (xsdtAddress, xsdt));
        for (int at = 36; at < xsdt.Length; at += 8)
        {
            var address = new GuestAddress(BinaryPrimitives.ReadUInt64LittleEndian(xsdt.AsSpan(at)));
            byte[] table = Table(memory, address);
            tables.Add(Signature(table), (address, table));
        }
        var dsdtAddress = new GuestAddress(BinaryPrimitives.ReadUInt64LittleEndian(tables["FACP"].Item2.AsSpan(140)));
        tables.Add("DSDT", (dsdtAddress, Table(memory, dsdtAddress)));
        return new GuestAcpiTables { Rsdp = rsdp, Tables = tables };
    }

    public static string Signature(byte[] table) => System.Text.Encoding.ASCII.GetString(table, 0, 4);

    public static int Sum(ReadOnlySpan<byte> bytes)
    {
        int sum = 0;
        foreach (byte b in bytes) sum += b;
        return sum & 0xff;
    }

    private static byte[] Table(GuestMemory memory, GuestAddress address)
    {
        uint length = memory.Read<uint>(address.Offset(4));
        return memory.GetSpan(address, checked((int)length)).ToArray();
    }
}
