using Glue.Core.Memory;

namespace Glue.Tests.Core;

/// <summary>What loader tests share: a temporary folder for kernel and initrd files, and guest RAM of a given size.</summary>
public abstract class LoaderTestBase : IDisposable
{
    protected const ulong MiB = MemoryLayout.MiB;
    private readonly string _dir = System.IO.Directory.CreateTempSubdirectory("glue-loader-").FullName;

    protected string Directory => _dir;

    public void Dispose() => System.IO.Directory.Delete(_dir, recursive: true);

    protected string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Guest RAM laid out as glue lays it out for -m <paramref name="mib"/>.</summary>
    public static GuestMemory Memory(ulong mib) =>
        new(MemoryLayout.RamRanges(mib * MiB).Select(r => new GuestRegion(r.Start, r.Size)));
}
