using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The test guest's virtio-mmio driver passes its `virtio`, `blk0`, `blk1` and `rng` tests under QEMU microvm,
/// with a writable disk (block device 0: pattern, GET_ID, a write of 23 sectors and FLUSH), a read-only disk
/// (block device 1: pattern, GET_ID, a refused write) and an entropy device; afterwards the writable disk's file
/// holds the guest's write and nothing else changed.
/// </summary>
[Trait("Category", "Reference")]
public class QemuVirtioReferenceTests
{
    private const long WriteFirst = 1001;
    private const long WriteCount = 23;
    private const uint WriteSeed = 99;

    /// <summary>microvm without ACPI puts a virtio_mmio.device= token on the command line for each device, in -device order.</summary>
    [QemuFact]
    public Task Guest_drives_devices_named_on_the_command_line() => RunAsync("microvm,acpi=off", "", writableDeviceFirst: true, "(cmdline)");

    /// <summary>
    /// microvm with ACPI describes its devices only in the DSDT: the guest scans its 24 windows of 512 bytes at
    /// 0xfeb00000, whose GSIs start at 24 on the second I/O APIC (found through the MADT). QEMU gives the last
    /// -device the lowest window, so the writable disk comes last to be block device 0 in address order.
    /// </summary>
    [QemuFact]
    public Task Guest_drives_devices_found_by_scanning() =>
        RunAsync("microvm", "glue.acpi=1 glue.virtio-scan=0xfeb00000:0x200:24:24", writableDeviceFirst: false, "(scan)");

    private static async Task RunAsync(string machine, string discoveryKeys, bool writableDeviceFirst, string foundBy)
    {
        using var directory = new TempDirectory();
        var writable = TestDisk.Write(directory, "writable.img", 2048, 0x12345678);
        var readOnly = TestDisk.Write(directory, "read-only.img", 128, 7);
        string[] writableDevice =
            ["-drive", $"id=rw,file={writable.Path},format=raw,if=none", "-device", "virtio-blk-device,drive=rw,serial=glue-disk-0"];
        string[] readOnlyDevice =
            ["-drive", $"id=ro,file={readOnly.Path},format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=ro,serial=glue-disk-1"];
        string[] rng = ["-device", "virtio-rng-device"];
        string[] devices = writableDeviceFirst ? [.. writableDevice, .. readOnlyDevice, .. rng] : [.. rng, .. readOnlyDevice, .. writableDevice];
        var blk0 = writable.GuestAttributes($"write:{WriteFirst}:{WriteCount}:{WriteSeed}", "id:glue-disk-0");
        var blk1 = readOnly.GuestAttributes("ro", "id:glue-disk-1");

        var run = await QemuMicrovm.BootAsync(machine, $"glue.cpus=2 {discoveryKeys} glue.blk0={blk0} glue.blk1={blk1} glue.rng=1",
            ["-global", "virtio-mmio.force-legacy=false", .. devices]);

        var report = GuestAssert.AllPassed(run, QemuMicrovm.AllPassedExitStatus, "virtio", "blk0", "blk1", "rng");
        var discovery = report.Tests["virtio"].Detail;
        Assert.True(discovery.StartsWith("3 devices:") && discovery.Contains(foundBy), $"expected 3 devices found {foundBy}; {run.Describe()}");
        Assert.Null(writable.DifferenceAfterWrite(WriteFirst, WriteCount, WriteSeed));
        Assert.Null(readOnly.DifferenceFromPattern());
    }
}
