namespace Glue.BuildTests;

/// <summary>
/// QEMU 7.2 under TCG booting the Linux test guest, for the reference run with QEMU's own devices and as the
/// vhost-user frontend of `glue device`: its RAM a shared memfd (vhost-user hands the backend the guest's memory
/// as fds), each vhost-user device a `-chardev socket` to a `glue device` socket. The guest's checks
/// (tests/linux/README.md) run from the command line's keys and it powers off, which ends QEMU.
/// </summary>
public static class QemuLinuxGuest
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);

    /// <summary>The arguments of qemu-system-x86_64 for <paramref name="keys"/> and <paramref name="devices"/> (each a -chardev/-device/-netdev group with id cN for socket N).</summary>
    public static string[] Arguments(string keys, IReadOnlyList<string> sockets, params string[] devices)
    {
        var arguments = new List<string>
        {
            "-accel", "tcg", "-M", "q35", "-m", "512", "-nographic", "-no-reboot", "-nic", "none",
            "-object", "memory-backend-memfd,id=mem,size=512M,share=on", "-numa", "node,memdev=mem",
            "-kernel", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-initrd", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
            "-append", $"console=ttyS0 panic=-1 {keys}",
        };
        for (int i = 0; i < sockets.Count; i++) arguments.AddRange(["-chardev", $"socket,id=c{i},path={sockets[i]}"]);
        arguments.AddRange(devices);
        return [.. arguments];
    }

    public static Task<ProcessResult> RunAsync(string keys, IReadOnlyList<string> sockets, params string[] devices) =>
        BoundedProcess.RunAsync("qemu-system-x86_64", Arguments(keys, sockets, devices), Limit);
}

/// <summary>A test of `glue device` with QEMU (TCG, no /dev/kvm needed) as the frontend booting the Linux guest.</summary>
public sealed class VhostUserFactAttribute : Xunit.FactAttribute
{
    public VhostUserFactAttribute() => Skip = TestEnvironment.MissingForGlue ?? TestEnvironment.MissingForQemuLinux;
}

/// <summary>As <see cref="VhostUserFactAttribute"/>, with e2fsck on the host.</summary>
public sealed class VhostUserFsckFactAttribute : Xunit.FactAttribute
{
    public VhostUserFsckFactAttribute() =>
        Skip = TestEnvironment.MissingForGlue ?? TestEnvironment.MissingForQemuLinux ?? (TestEnvironment.OnPath("e2fsck") ? null : "e2fsck is not installed");
}

/// <summary>As <see cref="VhostUserFactAttribute"/>, in a network namespace of the test's own.</summary>
public sealed class VhostUserNetFactAttribute : Xunit.FactAttribute
{
    public VhostUserNetFactAttribute() => Skip = TestEnvironment.MissingForGlue ?? TestEnvironment.MissingForQemuLinux ?? NetEnvironment.Missing;
}
