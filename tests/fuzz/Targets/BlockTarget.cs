using Glue.Devices.Block;

namespace Glue.Fuzz.Targets;

/// <summary>virtio-blk (discard and write-zeroes included) over a 1 MiB image in /dev/shm (deleted when the process ends): request headers, sector ranges, data segments and the status byte.</summary>
internal static class BlockTarget
{
    private const long ImageSize = 1 << 20;

    private static readonly DeviceHarness Harness = new("blk", _ =>
    {
        string directory = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var file = File.OpenHandle(Path.Combine(directory, $"glue-fuzz-blk-{Environment.ProcessId}.img"), FileMode.Create, FileAccess.ReadWrite,
            FileShare.None, FileOptions.DeleteOnClose);
        RandomAccess.Write(file, new byte[ImageSize], 0);
        // No workers: each request is served as it is popped, so a run is deterministic; no poll window: a run never
        // waits for requests nothing else will add.
        return new BlockDevice(new RawDiskImage(file, ImageSize, readOnly: false, direct: null), "fuzz", workers: 0, pollWindow: TimeSpan.Zero);
    });

    public static void Run(byte[] data) => Harness.Run(data);
}
