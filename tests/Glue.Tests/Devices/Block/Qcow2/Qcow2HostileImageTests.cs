using System.Buffers.Binary;
using Glue.Devices.Block.Qcow2;
using Xunit;
using static Glue.Tests.Devices.Block.Qcow2.QemuTools;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>
/// Images made to hurt: fuzzed metadata and tables pointing where they must not. Each is refused at open with
/// a <see cref="DiskImageError"/>, or served with negative errnos; never another exception, a hang, or memory
/// beyond what the file's size bounds.
/// </summary>
[Collection(ImageFolder.Collection)]
public sealed class Qcow2HostileImageTests : ImageFolder
{
    private const int DiskBytes = 4 << 20, ClusterBytes = 4096;
    private const int EIO = 5;

    /// <summary>A v3 image with 4 KiB clusters and some data, compressed clusters included; returns its bytes.</summary>
    private byte[] ValidImage(string name = "valid.qcow2")
    {
        var raw = new byte[DiskBytes];
        for (int i = 0; i < raw.Length / 4; i++) raw[i] = (byte)(i / 7);
        Pattern(DiskBytes / 8, 9).CopyTo(raw, DiskBytes / 2);
        File.WriteAllBytes(PathOf("source.raw"), raw);
        Img("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={ClusterBytes}", PathOf("source.raw"), PathOf(name));
        Io(PathOf(name), "qcow2", "write -P 0x61 3M 64k");
        return File.ReadAllBytes(PathOf(name));
    }

    [Fact]
    public void Fuzzed_metadata_is_refused_or_served_as_errors_without_crashing_or_unbounded_allocation()
    {
        byte[] valid = ValidImage();
        int metadataBytes = 64 * ClusterBytes;   // the header, L1, refcount structures and L2 tables qemu-img put first
        var random = new Random(18);
        string path = PathOf("fuzzed.qcow2");
        int opened = 0;
        for (int round = 0; round < 400; round++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int i = random.Next(1, 9); i > 0; i--)
            {
                int at = random.Next(Math.Min(metadataBytes, bytes.Length - 8));
                switch (random.Next(3))
                {
                    case 0: bytes[at] = (byte)random.Next(256); break;
                    case 1: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                    default: BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(at & ~7), (ulong)random.NextInt64() << random.Next(8)); break;
                }
            }
            File.WriteAllBytes(path, bytes);
            bool readOnly = random.Next(2) == 0;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            Qcow2Image image;
            try
            {
                image = Qcow2Image.Open(path, readOnly, formatNamed: false);   // probed: a fuzzed backing name is refused, never opened
            }
            catch (DiskImageError e)
            {
                Assert.DoesNotContain('\n', e.Message);
                continue;
            }
            opened++;
            using (image)
            {
                var buffer = new byte[256 << 10];
                for (int i = 0; i < 16; i++)
                {
                    long offset = i < 8 ? i * (long)buffer.Length : random.NextInt64(Math.Max(1, image.Length - buffer.Length));
                    int length = (int)Math.Min(buffer.Length, image.Length - offset);
                    if (length <= 0) break;
                    Assert.True(Read(image, offset, buffer.AsSpan(0, length)) is 0 or < 0);
                    if (!readOnly)
                    {
                        Assert.True(Write(image, offset, buffer.AsSpan(0, Math.Min(length, 10_000))) is 0 or < 0);
                        Assert.True(image.Discard(offset, length) is 0 or < 0);
                        Assert.True(image.WriteZeroes(offset + 100, Math.Max(0, length - 100), unmap: true) is 0 or < 0);
                    }
                }
                Assert.True(image.Flush() is 0 or < 0);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            Assert.True(allocated < 64L << 20, $"round {round} allocated {allocated} bytes for a {bytes.Length}-byte image");
        }
        Assert.True(opened > 40, $"only {opened} of 400 fuzzed images opened: the mutations hit too little past the header");
    }

    /// <summary>Writes <paramref name="bytes"/> into valid.qcow2 at byte <paramref name="at"/>.</summary>
    private void Overwrite(long at, byte[] bytes)
    {
        using var file = new FileStream(PathOf("valid.qcow2"), FileMode.Open, FileAccess.ReadWrite);
        file.Position = at;
        file.Write(bytes);
    }

    /// <summary>Opening valid.qcow2 writable is refused, in one line.</summary>
    private DiskImageError RefusedAtOpen()
    {
        var error = Assert.Throws<DiskImageError>(() => Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: false, formatNamed: true).Dispose());
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    private static ulong Field(byte[] image, long at) => BinaryPrimitives.ReadUInt64BigEndian(image.AsSpan((int)at));

    private void Patch(string path, long at, ulong value)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        file.Position = at;
        file.Write(bytes);
    }

    [Theory]
    [InlineData(40, 1L << 40, "L1 table")]            // l1_table_offset past the end
    [InlineData(48, 1L << 40, "refcount table")]      // refcount_table_offset past the end
    [InlineData(24, 1L << 62, "too small")]           // a size the L1 table cannot map
    [InlineData(40, 4096 + 512, "L1 table")]          // not a cluster boundary
    public void Header_offsets_and_sizes_out_of_bounds_are_refused(int field, long value, string named)
    {
        ValidImage();
        Patch(PathOf("valid.qcow2"), field, (ulong)value);
        var error = Assert.Throws<DiskImageError>(() => Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: true, formatNamed: true));
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void An_l1_entry_past_the_end_of_the_file_reads_as_an_io_error()
    {
        byte[] image = ValidImage();
        long l1 = (long)Field(image, 40);
        Patch(PathOf("valid.qcow2"), l1, (1UL << 40) | (1UL << 63));
        using var glue = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: false, formatNamed: true);
        Assert.Equal(-EIO, Read(glue, 0, new byte[4096]));
        Assert.Equal(-EIO, Write(glue, 0, new byte[4096]));
    }

    [Fact]
    public void An_l2_entry_pointing_into_metadata_is_never_written_through_and_marks_the_image_corrupt()
    {
        byte[] image = ValidImage();
        var (l1, _, entry) = TablesOf(image);
        // The guest cluster at 3 MiB (written by qemu-io, so a normal cluster) now claims the L1 table's cluster.
        Patch(PathOf("valid.qcow2"), entry, (ulong)l1 | (1UL << 63));
        using (var glue = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: false, formatNamed: true))
        {
            Assert.Equal(-EIO, Write(glue, 3 << 20, Pattern(4096, 1)));
            Assert.Equal(-EIO, Write(glue, 0, Pattern(4096, 1)));   // and nothing more is written
        }
        byte[] after = File.ReadAllBytes(PathOf("valid.qcow2"));
        Assert.Equal(Field(image, l1), Field(after, l1));
        Assert.Equal(2UL, Field(after, 72) & 2);   // the corrupt bit
    }

    /// <summary>The L2 table's offset (from the first L1 entry) and the offset of the L2 entry of the guest cluster at 3 MiB.</summary>
    private static (long L1, long L2, long Entry) TablesOf(byte[] image)
    {
        long l1 = (long)Field(image, 40);
        const int guestCluster = (3 << 20) / ClusterBytes, l2Entries = ClusterBytes / 8;
        long l2 = (long)(Field(image, l1 + guestCluster / l2Entries * 8) & 0x00ff_ffff_ffff_fe00UL);
        return (l1, l2, l2 + guestCluster % l2Entries * 8);
    }

    [Fact]
    public void An_l2_entry_past_the_end_of_the_file_is_an_io_error_and_never_grows_the_file()
    {
        byte[] image = ValidImage();
        var (_, _, entry) = TablesOf(image);
        Patch(PathOf("valid.qcow2"), entry, (1UL << 40) | (1UL << 63));   // the cluster at 3 MiB now lies 1 TiB into the file
        using (var glue = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: false, formatNamed: true))
        {
            Assert.Equal(-EIO, Read(glue, 3 << 20, new byte[4096]));
            Assert.Equal(-EIO, Write(glue, (3 << 20) + 512, Pattern(512, 1)));
        }
        Assert.True(new FileInfo(PathOf("valid.qcow2")).Length < 1L << 30, "a write through the hostile entry grew the file to its offset");
    }

    [Theory]
    [InlineData("L1 table")]
    [InlineData("refcount table")]
    [InlineData("refcount block")]
    [InlineData("L2 table of entry 1")]
    public void An_l1_entry_pointing_into_other_metadata_is_refused(string target)
    {
        byte[] image = ValidImage();
        long l1 = (long)Field(image, 40), refcountTable = (long)Field(image, 48);
        long at = target switch
        {
            "L1 table" => l1,
            "refcount table" => refcountTable,
            "refcount block" => (long)Field(image, refcountTable),
            _ => (long)(Field(image, l1 + 8) & 0x00ff_ffff_ffff_fe00UL),
        };
        Assert.NotEqual(0, at);
        Patch(PathOf("valid.qcow2"), l1, (ulong)at | (1UL << 63));
        Assert.Matches("L1 entry [01] points at", RefusedAtOpen().Message);
    }

    /// <summary>
    /// Every refcount table entry names the same refcount block: a block may describe only one range, so the image is
    /// refused, rather than the allocator scanning that one block once for each of the table's entries.
    /// </summary>
    [Fact]
    public void A_refcount_block_named_twice_by_the_refcount_table_is_refused()
    {
        byte[] image = ValidImage();
        long table = (long)Field(image, 48), block = (long)Field(image, table);
        var entries = new byte[ClusterBytes];
        for (int i = 0; i < entries.Length; i += 8) BinaryPrimitives.WriteUInt64BigEndian(entries.AsSpan(i), (ulong)block);
        Overwrite(table, entries);
        Assert.Contains("refcount block 1", RefusedAtOpen().Message);
    }

    /// <summary>
    /// Refcounts at the top of their width (16 bits: 65535) for every cluster the first block describes: none wraps
    /// to 0 and is handed out again. New data goes to clusters past them, reads back, and what was there is unchanged.
    /// </summary>
    [Fact]
    public void Refcounts_at_their_maximum_never_wrap_into_free_clusters()
    {
        byte[] image = ValidImage();
        long table = (long)Field(image, 48), block = (long)Field(image, table);
        Overwrite(block, Enumerable.Repeat((byte)0xff, ClusterBytes).ToArray());
        long lengthBefore = new FileInfo(PathOf("valid.qcow2")).Length;
        byte[] before, data = Pattern(64 << 10, 5);
        using (var glue = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: false, formatNamed: true))
        {
            before = ReadAll(glue);
            Assert.Equal(0, Write(glue, 1 << 20, data));   // unallocated before: new clusters
            Assert.Equal(0, glue.Flush());
            data.CopyTo(before, 1 << 20);
            AssertSameBytes(before, ReadAll(glue));
        }
        Assert.True(new FileInfo(PathOf("valid.qcow2")).Length >= lengthBefore + data.Length, "the new clusters were not placed past the file's end");
        using var reopened = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: true, formatNamed: true);
        AssertSameBytes(before, ReadAll(reopened));
    }

    [Fact]
    public void A_compressed_cluster_of_garbage_reads_as_an_io_error()
    {
        byte[] image = ValidImage();
        long l1 = (long)Field(image, 40);
        long l2 = (long)(Field(image, l1) & 0x00ff_ffff_ffff_fe00UL);
        ulong first = Field(image, l2);
        Assert.NotEqual(0UL, first & (1UL << 62));   // the first cluster is compressed
        int sizeShift = 62 - (12 - 8);
        long data = (long)(first & ((1UL << sizeShift) - 1));
        var garbage = Pattern(512, 3);
        using (var file = new FileStream(PathOf("valid.qcow2"), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = data;
            file.Write(garbage);
        }
        using var glue = Qcow2Image.Open(PathOf("valid.qcow2"), readOnly: true, formatNamed: true);
        Assert.Equal(-EIO, Read(glue, 0, new byte[4096]));
    }
}
