using System.Buffers.Binary;
using System.Security.Cryptography;
using Glue.Devices.Block.Qcow2;
using Xunit;
using static Glue.Tests.Devices.Block.Qcow2.QemuTools;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>Images Glue wrote, judged by QEMU: qemu-img check finds nothing wrong, qemu-img compare finds the bytes written.</summary>
[Collection(ImageFolder.Collection)]
public sealed class Qcow2WriteTests : ImageFolder
{
    private const int DiskBytes = 8 << 20;

    private string Create(string options, int bytes = DiskBytes, string name = "disk.qcow2")
    {
        Img("create", "-q", "-f", "qcow2", "-o", options, PathOf(name), bytes.ToString());
        return PathOf(name);
    }

    /// <summary>Writes of 1 byte to 3 clusters at random offsets, aligned and not, many over earlier ones; the model gets each too.</summary>
    private static void WriteRandomly(Qcow2Image image, byte[] model, int seed, int writes)
    {
        var random = new Random(seed);
        for (int i = 0; i < writes; i++)
        {
            int length = random.Next(4) == 0 ? 65536 * random.Next(1, 4) : random.Next(1, 200_000);
            int offset = random.Next(2) == 0 ? random.Next(model.Length / 4096) * 4096 : random.Next(model.Length);
            length = Math.Min(length, model.Length - offset);
            var data = Pattern(length, seed * 1000 + i);
            Assert.Equal(0, Write(image, offset, data));
            data.CopyTo(model, offset);
        }
    }

    [Theory]
    [InlineData("compat=0.10,cluster_size=65536")]
    [InlineData("compat=1.1,cluster_size=65536")]
    [InlineData("compat=1.1,cluster_size=4096,refcount_bits=1")]
    [InlineData("compat=1.1,cluster_size=2M,refcount_bits=64")]
    [InlineData("compat=0.10,cluster_size=512")]
    public void Random_writes_leave_an_image_qemu_img_checks_clean_with_the_bytes_written(string options)
    {
        string image = Create(options);
        var model = new byte[DiskBytes];
        using (var glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true))
        {
            WriteRandomly(glue, model, seed: 7, writes: 120);
            AssertSameBytes(model, ReadAll(glue));
        }
        Check(image);
        Compare(image, model, Folder);
    }

    [Theory]
    [InlineData("cluster_size=512,refcount_bits=16")]
    [InlineData("cluster_size=512,refcount_bits=64")]
    public void Filling_a_small_cluster_image_grows_the_refcount_table_consistently(string options)
    {
        // 512-byte clusters with 16-bit refcounts: one refcount block covers 128 KiB, the first table 8 MiB.
        const int bytes = 24 << 20;
        string image = Create(options, bytes);
        var model = Pattern(bytes, 11);
        using (var glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true))
        {
            for (int at = 0; at < bytes; at += 1 << 20) Assert.Equal(0, Write(glue, at, model.AsSpan(at, 1 << 20)));
            Assert.Equal(0, glue.Flush());
            AssertSameBytes(model, ReadAll(glue));
        }
        Check(image);
        Compare(image, model, Folder);
    }

    [Fact]
    public void Writes_into_compressed_clusters_copy_them_up_and_free_them()
    {
        var raw = new byte[DiskBytes];
        for (int i = 0; i < raw.Length; i++) raw[i] = (byte)"compressible text, compressible text "[i % 37];
        File.WriteAllBytes(PathOf("source.raw"), raw);
        Img("convert", "-c", "-f", "raw", "-O", "qcow2", PathOf("source.raw"), PathOf("disk.qcow2"));
        using (var glue = Qcow2Image.Open(PathOf("disk.qcow2"), readOnly: false, formatNamed: true))
        {
            WriteRandomly(glue, raw, seed: 5, writes: 40);
            AssertSameBytes(raw, ReadAll(glue));
        }
        Check(PathOf("disk.qcow2"));
        Compare(PathOf("disk.qcow2"), raw, Folder);
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("qcow2")]
    public void Writes_over_a_backing_file_copy_up_partial_clusters_and_leave_the_backing_file_unchanged(string baseFormat)
    {
        var model = Pattern(DiskBytes, 21);
        File.WriteAllBytes(PathOf("base.raw"), model);
        string backing = "base.raw";
        if (baseFormat == "qcow2")
        {
            Img("convert", "-f", "raw", "-O", "qcow2", "-o", "cluster_size=4096", PathOf("base.raw"), PathOf("base.qcow2"));
            backing = "base.qcow2";
        }
        byte[] baseHash = SHA256.HashData(File.ReadAllBytes(PathOf(backing)));
        Img("create", "-q", "-f", "qcow2", "-b", backing, "-F", baseFormat, PathOf("top.qcow2"), DiskBytes.ToString());
        using (var glue = Qcow2Image.Open(PathOf("top.qcow2"), readOnly: false, formatNamed: true))
        {
            WriteRandomly(glue, model, seed: 3, writes: 60);
            AssertSameBytes(model, ReadAll(glue));
        }
        Check(PathOf("top.qcow2"));
        Compare(PathOf("top.qcow2"), model, Folder);
        Assert.Equal(baseHash, SHA256.HashData(File.ReadAllBytes(PathOf(backing))));
    }

    [Theory]
    [InlineData("1.1", false)]
    [InlineData("1.1", true)]
    [InlineData("0.10", false)]
    [InlineData("0.10", true)]
    public void Discard_and_write_zeroes_free_clusters_and_read_as_qemu_sees_them(string compat, bool withBacking)
    {
        var model = withBacking ? Pattern(DiskBytes, 31) : new byte[DiskBytes];
        if (withBacking) File.WriteAllBytes(PathOf("base.raw"), model);
        string image = PathOf("disk.qcow2");
        Img(withBacking
            ? ["create", "-q", "-f", "qcow2", "-o", $"compat={compat}", "-b", "base.raw", "-F", "raw", image, DiskBytes.ToString()]
            : ["create", "-q", "-f", "qcow2", "-o", $"compat={compat}", image, DiskBytes.ToString()]);
        using (var glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true))
        {
            var data = Pattern(DiskBytes, 32);
            Assert.Equal(0, Write(glue, 0, data));
            data.CopyTo(model, 0);
            Assert.Equal(0, glue.Flush());
            // Discard 1 MiB + 1000 bytes from an unaligned offset: whole clusters go (to zeroes, or in v2 over a backing file, stay).
            Assert.Equal(0, glue.Discard(1_000_000, (1 << 20) + 1000));
            if (!(withBacking && compat == "0.10"))
                model.AsSpan(1_048_576, (int)((1_000_000 + (1 << 20) + 1000) / 65536 * 65536 - 1_048_576)).Clear();
            Assert.Equal(0, glue.WriteZeroes(3_000_001, 2_000_000, unmap: true));
            model.AsSpan(3_000_001, 2_000_000).Clear();
            Assert.Equal(0, glue.WriteZeroes(6 << 20, 1 << 20, unmap: false));
            model.AsSpan(6 << 20, 1 << 20).Clear();
            AssertSameBytes(model, ReadAll(glue));
        }
        string report = Check(image);
        Compare(image, model, Folder);
        // v3 frees what was discarded and zeroed (15 + 46 whole clusters); v2 without a backing file what was discarded.
        int freed = compat == "1.1" ? 15 + 46 : withBacking ? 0 : 15;
        Assert.True(AllocatedClusters(report) <= DiskBytes / 65536 - freed, $"{freed} clusters were not freed:\n{report}");
    }

    [Fact]
    public void Lazy_refcounts_set_the_dirty_bit_while_open_and_clear_it_on_close()
    {
        string image = Create("compat=1.1,lazy_refcounts=on");
        using (var glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true))
        {
            Assert.Equal(0, Write(glue, 12345, Pattern(100_000, 1)));
            Assert.Equal(1UL, IncompatibleFeatures(image) & 1);
        }
        Assert.Equal(0UL, IncompatibleFeatures(image) & 1);
        Check(image);
    }

    /// <summary>The header's incompatible_features, read while Glue has the image open.</summary>
    private static ulong IncompatibleFeatures(string image)
    {
        using var file = new FileStream(image, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var header = new byte[80];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(72));
    }

    private static long AllocatedClusters(string checkReport)
    {
        // "N/M = x% allocated, ..." on the line qemu-img check prints last.
        var line = checkReport.Split('\n').First(l => l.Contains("allocated"));
        return long.Parse(line[..line.IndexOf('/')].Trim());
    }
}
