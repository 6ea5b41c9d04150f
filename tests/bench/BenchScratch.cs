namespace Glue.Bench;

/// <summary>
/// Files the VMMs read and write during a case, on a file system local to where they run: /dev/shm there, as a
/// host's own disk holds a file it has just written in its page cache. In the software KVM host the bench's own
/// directory is that host's 9p share of this machine, without a cache: each read a VMM made of it would be a round
/// trip to the outer machine, and the figures would measure that. Made, filled and removed where the VMMs run.
/// </summary>
public static class BenchScratch
{
    public static string PathOf(string name) => $"/dev/shm/glue-bench-{name}";

    /// <summary>Runs a command where the VMMs run (mkdir, cp, qemu-img...); a failure fails the run.</summary>
    public static void Run(string program, params string[] arguments)
    {
        int status = KvmHost.Run(program, arguments);
        if (status != 0) throw new BenchFailure($"'{program} {string.Join(' ', arguments)}' failed where the VMMs run (status {status})");
    }

    public static void Remove(string path) => KvmHost.Run("rm", "-rf", path);
}
