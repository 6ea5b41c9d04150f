using System.Buffers.Binary;

namespace Glue.BuildTests;

/// <summary>
/// A raw disk image that holds the test guest's block pattern for a seed (tests/guest/README.md): the disk as
/// little-endian 32-bit words, word j = seed + j * 0x9e3779b1 mod 2^32. The guest's `glue.blk&lt;k&gt;` key
/// tells it the seed, and after a run this checks which sectors the guest wrote.
/// </summary>
public sealed record TestDisk(string Path, long Sectors, uint Seed)
{
    public const int SectorBytes = 512;
    private const uint Step = 0x9e3779b1;

    public static TestDisk Write(TempDirectory directory, string name, long sectors, uint seed)
    {
        var contents = new byte[sectors * SectorBytes];
        FillPattern(contents, seed, 0);
        return new TestDisk(directory.Write(name, contents), sectors, seed);
    }

    /// <summary>The `glue.blk&lt;k&gt;=` key's attributes for this disk's size and pattern, then <paramref name="more"/>.</summary>
    public string GuestAttributes(params string[] more) => string.Join(',', [$"sectors:{Sectors}", $"pattern:{Seed}", .. more]);

    /// <summary>
    /// Null if the file holds this disk's pattern everywhere but sectors [first, first + count), which hold the
    /// pattern for <paramref name="writeSeed"/>; else where it first differs. The written pattern's word j is
    /// counted from the disk's start (the test guest's writes) or, with <paramref name="fromWriteStart"/>, from
    /// sector <paramref name="first"/> (the Linux guest's `glue.blk.write`).
    /// </summary>
    public string? DifferenceAfterWrite(long first, long count, uint writeSeed, bool fromWriteStart = false)
    {
        var actual = File.ReadAllBytes(Path);
        var expected = new byte[Sectors * SectorBytes];
        FillPattern(expected, Seed, 0);
        FillPattern(expected.AsSpan((int)(first * SectorBytes), (int)(count * SectorBytes)), writeSeed, fromWriteStart ? 0 : first * SectorBytes);
        if (actual.Length != expected.Length)
            return $"{Path} has {actual.Length} bytes, expected {expected.Length}";
        var at = actual.AsSpan().CommonPrefixLength(expected);
        return at == actual.Length
            ? null
            : $"{Path}: byte 0x{at:x} (sector {at / SectorBytes}) is 0x{actual[at]:x2}, expected 0x{expected[at]:x2}";
    }

    /// <summary>Null if the file still holds exactly this disk's pattern; else where it first differs.</summary>
    public string? DifferenceFromPattern() => DifferenceAfterWrite(0, 0, Seed);

    /// <summary>The pattern for <paramref name="seed"/> as it is from disk byte <paramref name="offset"/> (a multiple of 4) on.</summary>
    private static void FillPattern(Span<byte> buffer, uint seed, long offset)
    {
        for (var i = 0; i < buffer.Length; i += 4)
            BinaryPrimitives.WriteUInt32LittleEndian(buffer[i..], unchecked(seed + (uint)((offset + i) / 4) * Step));
    }
}
