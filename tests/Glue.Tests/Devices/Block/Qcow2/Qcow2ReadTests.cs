using Glue.Core.Interop;
using Glue.Devices.Block.Qcow2;
using Xunit;
using static Glue.Tests.Devices.Block.Qcow2.QemuTools;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>Images QEMU made, read through Glue, byte for byte against qemu-img convert -O raw.</summary>
[Collection(ImageFolder.Collection)]
public sealed class Qcow2ReadTests : ImageFolder
{
    private const int DiskBytes = 8 << 20;

    /// <summary>qemu-io writes of patterns, zeroes (write -z) and discards at aligned and unaligned offsets.</summary>
    private static readonly string[] QemuWrites =
    [
        "write -P 0xab 0 64k", "write -P 0x5a 1M 4k", "write -P 0x11 1536 3000", "write -z 2M 128k",
        "write -P 0x77 3M 1M", "discard 3M 64k", "write -P 0x33 8380416 8192", "write -z 3200k 100k",
    ];

    [Theory]
    [InlineData("0.10", "65536", "16")]
    [InlineData("1.1", "65536", "16")]
    [InlineData("1.1", "512", "16")]
    [InlineData("0.10", "4096", "16")]
    [InlineData("1.1", "2M", "16")]
    [InlineData("1.1", "65536", "1")]
    [InlineData("1.1", "4096", "64")]
    public void An_image_qemu_io_wrote_reads_as_qemu_img_converts_it(string compat, string clusterSize, string refcountBits)
    {
        string image = PathOf("disk.qcow2");
        Img("create", "-q", "-f", "qcow2", "-o", $"compat={compat},cluster_size={clusterSize},refcount_bits={refcountBits}", image, DiskBytes.ToString());
        Io(image, "qcow2", QemuWrites);
        var expected = RawBytes(image, Folder);   // before Glue's lock, which QEMU's consistent-read lock respects
        using var glue = Qcow2Image.Open(image, readOnly: true, formatNamed: true);
        Assert.Equal(DiskBytes, glue.Length);
        AssertSameBytes(expected, ReadAll(glue));
    }

    [Theory]
    [InlineData("0.10", "65536")]
    [InlineData("1.1", "4096")]
    public void An_image_converted_from_random_raw_data_with_holes_reads_back_exactly(string compat, string clusterSize)
    {
        var raw = Pattern(DiskBytes, 1);
        raw.AsSpan(1 << 20, 3 << 20).Clear();
        File.WriteAllBytes(PathOf("source.raw"), raw);
        Img("convert", "-f", "raw", "-O", "qcow2", "-o", $"compat={compat},cluster_size={clusterSize}", PathOf("source.raw"), PathOf("disk.qcow2"));
        using var glue = Qcow2Image.Open(PathOf("disk.qcow2"), readOnly: true, formatNamed: true);
        AssertSameBytes(raw, ReadAll(glue));
    }

    [Theory]
    [InlineData("65536")]
    [InlineData("4096")]
    public void Compressed_clusters_from_qemu_img_convert_c_inflate_to_the_original_bytes(string clusterSize)
    {
        // Half compressible text, half random (which qemu-img stores uncompressed): both kinds of cluster.
        var raw = new byte[DiskBytes];
        for (int i = 0; i < raw.Length / 2; i++) raw[i] = (byte)"the quick brown fox jumps over the lazy dog "[i % 44];
        Pattern(DiskBytes / 4, 2).CopyTo(raw, DiskBytes / 2);
        File.WriteAllBytes(PathOf("source.raw"), raw);
        Img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={clusterSize}", PathOf("source.raw"), PathOf("disk.qcow2"));
        Assert.True(new FileInfo(PathOf("disk.qcow2")).Length < DiskBytes / 2, "qemu-img did not compress");
        using var glue = Qcow2Image.Open(PathOf("disk.qcow2"), readOnly: true, formatNamed: true);
        AssertSameBytes(raw, ReadAll(glue));
    }

    [Fact]
    public void A_three_file_backing_chain_reads_through_to_the_bottom_and_past_a_shorter_base()
    {
        File.WriteAllBytes(PathOf("base.raw"), Pattern(DiskBytes / 2, 3));   // shorter than the disk: zeroes past it
        Img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "-o", "cluster_size=4096", PathOf("mid.qcow2"), DiskBytes.ToString());
        Io(PathOf("mid.qcow2"), "qcow2", "write -P 0x44 100k 200k", "write -z 1M 64k", "write -P 0x45 6M 10k");
        Img("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", PathOf("top.qcow2"), DiskBytes.ToString());
        Io(PathOf("top.qcow2"), "qcow2", "write -P 0x46 150k 1k", "write -z 2M 64k");
        var expected = RawBytes(PathOf("top.qcow2"), Folder);
        using var glue = Qcow2Image.Open(PathOf("top.qcow2"), readOnly: true, formatNamed: true);
        AssertSameBytes(expected, ReadAll(glue));
    }

    [Fact]
    public unsafe void A_cached_read_serves_mapped_and_zero_clusters_and_stops_at_backing_and_unread_tables()
    {
        // 4 KiB clusters: one L2 table maps 2 MiB, so 0 to 2M share one table and 6M has its own.
        File.WriteAllBytes(PathOf("base.raw"), Pattern(DiskBytes, 4));
        Img("create", "-q", "-f", "qcow2", "-b", "base.raw", "-F", "raw", "-o", "cluster_size=4096", PathOf("disk.qcow2"), DiskBytes.ToString());
        Io(PathOf("disk.qcow2"), "qcow2", "write -P 0xab 0 64k", "write -z 1M 64k", "write -P 0x45 6M 4k");
        using var glue = Qcow2Image.Open(PathOf("disk.qcow2"), readOnly: true, formatNamed: true);
        var buffer = new byte[8192];
        fixed (byte* bytes = buffer)
        {
            Libc.IoVec[] iov = [new() { iov_base = bytes, iov_len = 4096 }];
            long Cached(long offset) => glue.ReadCached(iov, offset);

            Assert.Equal(0, Cached(6 << 20));                     // its L2 table not read yet
            Assert.Equal(0, Read(glue, 0, new byte[4096]));       // reads the first table
            Array.Fill(buffer, (byte)1);
            Assert.Equal(4096, Cached(1 << 20));                  // a zero cluster: no file read at all
            Assert.All(buffer.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));
            Assert.Equal(0, Cached(512 << 10));                   // unallocated here: the backing file's
            if (DiskImageOpenerTests.FileSystemOf(Folder) is "ext4" or "xfs" or "btrfs")
            {
                Assert.Equal(4096, Cached(0));                    // mapped, its table and data cached
                Assert.All(buffer.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0xab, b));
                // A read across the end of what was written stops there: the worker reads the backing file's part.
                Libc.IoVec[] across = [new() { iov_base = bytes, iov_len = 8192 }];
                Assert.Equal(4096, glue.ReadCached(across, 60 << 10));
            }
        }
    }
}
