using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The Linux guest's blk checks (tests/linux/README.md) with what the host prepares and then checks: a disk
/// holding a pattern the guest reads and writes into (/dev/vda), and an empty one the guest makes an ext4 file
/// system on (/dev/vdb). The same scenario runs against QEMU's own disks and against `glue device blk`.
/// </summary>
public sealed class LinuxDiskScenario
{
    private const uint DiskSeed = 0x12345678;
    private const long ReadSectors = 64;
    private const long WriteFirst = 1001;
    private const long WriteCount = 23;
    private const uint WriteSeed = 0xdeadbeef;

    /// <summary>The kernel command line keys that run the checks.</summary>
    public static readonly string Keys = $"glue.blk.read={DiskSeed}:{ReadSectors} glue.blk.write={WriteFirst}:{WriteCount}:{WriteSeed} glue.blk.mkfs=1";

    /// <summary>The `GLUE-LINUX` lines the keys make the guest print.</summary>
    public static readonly string[] Checks = ["blk.read", "blk.write", "blk.mkfs"];

    /// <summary>What the guest writes and trims on /dev/vdb's file system (`glue.blk.trim`): glue offers discard, QEMU ignores it by default.</summary>
    public const int TrimMiB = 12;

    /// <summary>The key and check of the trim: the host then sees the file system image shrink (<see cref="AssertTheGuestTrimmedAsync"/>).</summary>
    public static readonly string TrimKey = $"glue.blk.trim={TrimMiB}";

    public const string TrimCheck = "blk.trim";

    /// <summary>The size of /dev/vdb, the disk the guest makes its file system on.</summary>
    public const long FileSystemBytes = 32 << 20;

    public LinuxDiskScenario(TempDirectory directory)
    {
        Disk = TestDisk.Write(directory, "disk.img", 2048, DiskSeed);
        FileSystem = Path.Combine(directory.Path, "fs.img");
        using var file = File.Create(FileSystem);
        file.SetLength(FileSystemBytes);
    }

    public TestDisk Disk { get; }

    public string FileSystem { get; }

    /// <summary>After the guest is gone: its write is in the disk file, and its file system is clean and holds its file.</summary>
    public Task AssertTheHostSeesWhatTheGuestWroteAsync() => AssertTheHostSeesWhatTheGuestWroteAsync(Disk.Path, FileSystem);

    /// <summary>The same of raw copies of the two disks (qemu-img convert -O raw of qcow2 images the guest wrote).</summary>
    public async Task AssertTheHostSeesWhatTheGuestWroteAsync(string disk, string fileSystem)
    {
        Assert.Null((Disk with { Path = disk }).DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed, fromWriteStart: true));
        var fsck = await BoundedProcess.RunAsync("e2fsck", ["-fn", fileSystem], TimeSpan.FromSeconds(30));
        Assert.True(fsck.ExitCode == 0, $"expected e2fsck -fn to find the guest's file system clean; {fsck.Describe()}");
        var written = await BoundedProcess.RunAsync("debugfs", ["-R", "cat /glue-mkfs.txt", fileSystem], TimeSpan.FromSeconds(30));
        Assert.True(written.Stdout.Contains("glue-linux blk.mkfs"), $"expected the guest's /glue-mkfs.txt in its file system; {written.Describe()}");
    }

    /// <summary>
    /// After the guest is gone: the blocks of the file it wrote and removed went back to the host (fstrim's discards
    /// punched holes), so the sparse image holds less than that file; mkfs's metadata and journal are about 4.5 MiB.
    /// </summary>
    public async Task AssertTheGuestTrimmedAsync()
    {
        // Where glue runs on a file system that cannot punch holes (the software KVM host's 9p share of this machine),
        // glue's discard leaves the file as it is, as discard allows: there is nothing for the host to see.
        if (!CanPunchHoles())
            return;
        var stat = await BoundedProcess.RunAsync("stat", ["-c", "%b", FileSystem], TimeSpan.FromSeconds(30));
        long blocks = 0;
        Assert.True(stat.ExitCode == 0 && long.TryParse(stat.Stdout.FirstOrDefault(), out blocks), $"stat -c %b {FileSystem}; {stat.Describe()}");
        Assert.True(blocks * 512 < TrimMiB << 20,
            $"expected the trimmed file system image to hold less than the {TrimMiB} MiB the guest wrote and removed; it has {blocks * 512} bytes allocated");
    }

    /// <summary>Whether fallocate can punch a hole beside the image, where glue runs (in the KVM host, when that is software).</summary>
    private bool CanPunchHoles()
    {
        string probe = FileSystem + ".punch";
        File.WriteAllBytes(probe, new byte[8192]);
        try
        {
            return KvmHost.Run("fallocate", "--punch-hole", "--offset", "0", "--length", "4096", probe) == 0;
        }
        finally
        {
            File.Delete(probe);
        }
    }
}
