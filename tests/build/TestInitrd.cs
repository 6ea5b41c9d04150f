namespace Glue.BuildTests;

/// <summary>
/// An initrd of pseudo-random bytes, and the `glue.initrd=&lt;size&gt;:&lt;crc32&gt;` key that asks the test guest
/// to check that it arrived intact. The seed is fixed so that a failure can be reproduced byte for byte.
/// </summary>
public sealed record TestInitrd(string Path, int Size, uint Crc)
{
    private const int Size100KiB = 100 * 1024;

    public static TestInitrd Write(TempDirectory directory)
    {
        var contents = new byte[Size100KiB];
        new Random(20261121).NextBytes(contents);
        return new TestInitrd(directory.Write("initrd.bin", contents), contents.Length, Crc32.Compute(contents));
    }

    /// <summary>The guest command-line key that states this initrd's size and CRC-32.</summary>
    public string GuestKey(uint crc) => $"glue.initrd={Size}:{crc:x8}";

    public string GuestKey() => GuestKey(Crc);
}
