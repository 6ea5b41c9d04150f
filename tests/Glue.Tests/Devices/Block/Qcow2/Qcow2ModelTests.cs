using Glue.Devices.Block.Qcow2;
using Xunit;
using static Glue.Tests.Devices.Block.Qcow2.QemuTools;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>
/// Random sequences of writes, discards, write-zeroes, flushes and reopenings, checked after every step against
/// an in-memory model of the disk, then by qemu-img check and compare. Each case is a seed: a failure names it,
/// and the same seed replays it.
/// </summary>
[Collection(ImageFolder.Collection)]
public sealed class Qcow2ModelTests : ImageFolder
{
    private const int DiskBytes = 4 << 20;

    [Theory]
    [InlineData(1, "compat=1.1,cluster_size=4096", false)]
    [InlineData(2, "compat=0.10,cluster_size=4096", false)]
    [InlineData(3, "compat=1.1,cluster_size=65536", true)]
    [InlineData(4, "compat=0.10,cluster_size=512", true)]
    [InlineData(5, "compat=1.1,cluster_size=512,refcount_bits=2", false)]
    [InlineData(6, "compat=1.1,cluster_size=16384,lazy_refcounts=on", true)]
    public void A_random_sequence_of_requests_reads_back_as_the_model_says(int seed, string options, bool withBacking)
    {
        var random = new Random(seed);
        var model = withBacking ? Pattern(DiskBytes, seed) : new byte[DiskBytes];
        string image = PathOf("disk.qcow2");
        if (withBacking) File.WriteAllBytes(PathOf("base.raw"), model);
        Img(withBacking
            ? ["create", "-q", "-f", "qcow2", "-o", options, "-b", "base.raw", "-F", "raw", image, DiskBytes.ToString()]
            : ["create", "-q", "-f", "qcow2", "-o", options, image, DiskBytes.ToString()]);
        bool discardKeepsBytes = withBacking && options.Contains("compat=0.10");
        int clusterBytes = ClusterBytes(image);
        var glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true);
        try
        {
            for (int step = 0; step < 300; step++)
            {
                int offset = random.Next(DiskBytes), length = Math.Min(random.Next(1, 3 * clusterBytes + 1000), DiskBytes - offset);
                string what = $"seed {seed} step {step}";
                switch (random.Next(10))
                {
                    case < 6:
                        var data = Pattern(length, seed * 100_000 + step);
                        Assert.True(Write(glue, offset, data) == 0, what);
                        data.CopyTo(model, offset);
                        break;
                    case 6:
                        Assert.True(glue.Discard(offset, length) == 0, what);
                        long first = (offset + clusterBytes - 1L) / clusterBytes * clusterBytes, end = (offset + (long)length) / clusterBytes * clusterBytes;
                        if (!discardKeepsBytes && end > first) model.AsSpan((int)first, (int)(end - first)).Clear();
                        break;
                    case 7:
                        Assert.True(glue.WriteZeroes(offset, length, unmap: random.Next(2) == 0) == 0, what);
                        model.AsSpan(offset, length).Clear();
                        break;
                    case 8:
                        Assert.True(glue.Flush() == 0, what);
                        break;
                    default:
                        glue.Dispose();
                        glue = Qcow2Image.Open(image, readOnly: false, formatNamed: true);
                        break;
                }
                var read = new byte[length];
                Assert.True(Read(glue, offset, read) == 0, what);
                Assert.True(read.AsSpan().SequenceEqual(model.AsSpan(offset, length)), $"{what}: the bytes read differ from the model");
            }
            AssertSameBytes(model, ReadAll(glue));
        }
        finally
        {
            glue.Dispose();
        }
        Check(image);
        Compare(image, model, Folder);
    }

    private static int ClusterBytes(string image) =>
        int.Parse(Img("info", image).Split('\n').First(l => l.StartsWith("cluster_size")).Split(':')[1].Trim());
}
