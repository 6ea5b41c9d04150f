using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Devices.Block.Qcow2;
using Xunit;

namespace Glue.Tests.Devices.Block.Qcow2;

/// <summary>A temporary folder of images for one test, and Glue-side reads and writes of a whole image through iovecs.</summary>
public abstract class ImageFolder : IDisposable
{
    /// <summary>
    /// The test collection of every class here: they run one after another, not beside each other. A test that
    /// starts qemu-img forks this process, and until the child's exec closes them it holds every open file of the
    /// process, the images of the other tests with their locks (OFD locks go with the open file, not the fd): an image
    /// another test had just closed would then be refused as "in use" when it is opened again.
    /// </summary>
    public const string Collection = "qcow2 images";

    protected string Folder { get; } = Directory.CreateTempSubdirectory("glue-qcow2-").FullName;

    protected string PathOf(string name) => Path.Combine(Folder, name);

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Bytes that do not compress and differ at every offset, from a seed.</summary>
    protected static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Reads [offset, offset + into.Length) through Glue as three iovecs of uneven sizes; returns the errno result.</summary>
    internal static unsafe int Read(Qcow2Image image, long offset, Span<byte> into)
    {
        fixed (byte* p = into) return image.Read(Split(p, into.Length), offset);
    }

    internal static unsafe int Write(Qcow2Image image, long offset, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) return image.Write(Split(p, data.Length), offset);
    }

    /// <summary>The whole disk through Glue, in 1 MiB requests.</summary>
    internal static byte[] ReadAll(Qcow2Image image)
    {
        var bytes = new byte[image.Length];
        for (long at = 0; at < bytes.Length; at += 1 << 20)
        {
            int length = (int)Math.Min(1 << 20, bytes.Length - at);
            Assert.Equal(0, Read(image, at, bytes.AsSpan((int)at, length)));
        }
        return bytes;
    }

    private static unsafe Libc.IoVec[] Split(byte* p, int length)
    {
        int a = length / 3, b = length / 2;
        return
        [
            new Libc.IoVec { iov_base = p, iov_len = (nuint)a },
            new Libc.IoVec { iov_base = p + a, iov_len = (nuint)(b - a) },
            new Libc.IoVec { iov_base = p + b, iov_len = (nuint)(length - b) },
        ];
    }

    /// <summary>Asserts two disks are equal, naming the first byte that differs.</summary>
    protected static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int differs = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(differs == expected.Length, $"the disks differ from byte {differs} (0x{differs:x})");
    }
}
