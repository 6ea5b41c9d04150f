namespace Glue.Bench;

/// <summary>
/// Files the VMMs read and write during a case, on a host's disk file system where they run: ext4, made for the run
/// in a file in /dev/shm and mounted on a loop device, so that nothing but the page cache stands between a VMM and its
/// file, as on a host's own disk that holds a file it has just written, and the file system is one users' disks are
/// on: it takes O_DIRECT and answers RWF_NOWAIT (a cached read served without a worker), which tmpfs in Linux 6.1
/// does not. In the software KVM host the bench's own directory is that host's 9p share of this machine, without a
/// cache: each read a VMM made of it would be a round trip to the outer machine, and the figures would measure that.
/// </summary>
public static class BenchScratch
{
    private const string Image = "/dev/shm/glue-bench.ext4", Mountpoint = "/dev/shm/glue-bench";

    /// <summary>Room for the largest case: the blk case's four copies of its 128 MiB disk, or two snapshots of 512 MiB.</summary>
    private const string ImageSize = "3G";

    public static string PathOf(string name) => $"{Mountpoint}/{name}";

    /// <summary>Makes and mounts the file system; disposing unmounts it and removes its image.</summary>
    public static IDisposable Mount()
    {
        Make();
        return new Mounted();
    }

    private static void Make()
    {
        Unmount();
        Run("truncate", "-s", ImageSize, Image);
        // Inode tables and journal written now, not by ext4lazyinit while a case runs.
        Run("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", Image);
        Run("mkdir", "-p", Mountpoint);
        Run("mount", "-o", "loop", Image, Mountpoint);
    }

    private static void Unmount()
    {
        if (KvmHost.Run("mountpoint", "-q", Mountpoint) == 0) Run("umount", Mountpoint);
        KvmHost.Run("rm", "-rf", Mountpoint, Image);
    }

    private sealed class Mounted : IDisposable
    {
        public void Dispose() => Unmount();
    }

    /// <summary>Runs a command where the VMMs run (mkdir, cp, qemu-img...); a failure fails the run.</summary>
    public static void Run(string program, params string[] arguments)
    {
        int status = KvmHost.Run(program, arguments);
        if (status != 0) throw new BenchFailure($"'{program} {string.Join(' ', arguments)}' failed where the VMMs run (status {status})");
    }

    public static void Remove(string path) => KvmHost.Run("rm", "-rf", path);

    /// <summary>
    /// Writes back what earlier runs left dirty (`sync -f` of the scratch), so that no run pays for another's
    /// writeback: contestants alternate, and a write-heavy run leaves tens of MiB for the host's flusher. A software
    /// KVM host booted again since (its watchdog restarts a stuck one) lost the scratch: it is made again, empty, so
    /// that a case whose runs make their own files (virtio-fs) goes on.
    /// </summary>
    public static void Settle()
    {
        if (KvmHost.Run("mountpoint", "-q", Mountpoint) != 0) Make();
        Run("sync", "-f", Mountpoint);
    }
}
