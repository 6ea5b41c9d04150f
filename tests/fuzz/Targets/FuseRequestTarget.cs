using Glue.Devices.Fs;
using Glue.Devices.Fs.Host;

namespace Glue.Fuzz.Targets;

/// <summary>
/// virtio-fs: FUSE requests (fuse_in_header, arguments, names, WRITE's data) split over descriptors as the input
/// says, through the device's own chain loading, the request parser and every handler, against a scratch share
/// (<see cref="ScratchShare"/>) with symlinks pointing out of it. Queue 0 is the high-priority queue (FORGET,
/// BATCH_FORGET), queue 1 the request queue. Checked after each input, besides the harness's rule on guest memory:
/// no host file outside the share was opened, read, written, linked, renamed or changed, and no fd of glue's is
/// open outside it. The share is put back as it was before each input, and a reset starts node ids and handles
/// over, so a seed's LOOKUP gives node 2 and its OPEN handle 1 every time.
/// </summary>
internal static class FuseRequestTarget
{
    /// <summary>A small fd limit, so inputs reach EMFILE too.</summary>
    private const int MaxFds = 64;

    private static readonly ScratchShare Scratch = new("fuse-request");

    private static readonly DeviceHarness Harness = new("fuse-request", _ =>
    {
        int errno = SharedDirectory.Open(Scratch.Share, readOnly: false, MaxFds, out var share);
        if (errno != 0) throw new FuzzInvariantException($"the scratch share cannot be opened: errno {errno}");
        // No workers: each request is served as it is popped, so a run is deterministic.
        return new FsDevice("fuzz", share!, workers: 0);
    }, Scratch.CheckConfined);

    public static void Run(byte[] data)
    {
        Scratch.Restore();
        Harness.Run(data);
    }
}
