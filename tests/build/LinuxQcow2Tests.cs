using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// Stock Linux on qcow2 disks that qemu-img made (docs/qcow2.md): the guest's blk checks (<see cref="LinuxDiskScenario"/>:
/// a pattern read and written on /dev/vda, ext4 made on /dev/vdb, a 12 MiB file written, removed and fstrim'd), then
/// qemu-img judges what glue left: check finds no corruption or leak, convert -O raw reads back exactly what the guest
/// wrote, the backing file is unchanged, and the trimmed clusters are gone from the map. Then the same writes cut
/// short by kill -9 of glue, again and again, and each time qemu-img check finds no corruption (leaks allowed).
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "blk")]
public class LinuxQcow2Tests(ITestOutputHelper output)
{
    /// <summary>
    /// How many times the kill test kills glue: once by default (a Linux boot takes minutes in the software KVM host;
    /// <see cref="Qcow2KillTests"/> kills many times over), GLUE_SOAK_QCOW2_KILLS for the soak.
    /// </summary>
    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("GLUE_SOAK_QCOW2_KILLS"), out int kills) && kills > 0 ? kills : 1;

    /// <summary>
    /// "backing": /dev/vda is a qcow2 image over the raw pattern disk as its backing file, /dev/vdb an empty qcow2.
    /// "compressed": both are `qemu-img convert -c` copies, /dev/vda of the pattern disk and /dev/vdb of 32 MiB of
    /// text (so its every cluster is compressed, and mkfs's discard and writes, the file and fstrim all meet compressed clusters), with
    /// lazy refcounts (the dirty bit is set while glue runs and cleared at its clean stop).
    /// </summary>
    [Qcow2LinuxTheory]
    [InlineData("backing")]
    [InlineData("compressed")]
    public async Task Linux_on_qemu_img_made_qcow2_disks_leaves_images_qemu_img_checks_clean_with_what_it_wrote(string vda)
    {
        using var directory = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        var images = await Qcow2Disks.MakeAsync(directory, disks, compressed: vda == "compressed", lazyRefcounts: vda == "compressed");
        if (vda == "compressed")
        {
            var before = await QemuImg.CheckAsync(images.FileSystem);
            Assert.True(QemuImg.Count(before, "compressed-clusters") > 0, $"qemu-img convert -c made no compressed cluster: {before}");
        }

        var clock = Stopwatch.StartNew();
        var run = await GlueBinary.RunAsync(images.RunArguments(), TimeSpan.FromMinutes(5));
        output.WriteLine($"glue run of Linux on qcow2 to its power-off: {clock.Elapsed.TotalSeconds:F1} s{(KvmHost.IsSoftware ? " (in the software KVM host)" : "")}");
        Assert.True(run.ExitCode == 0, $"expected glue to end with 0 on the guest's ACPI power-off; {run.Describe()}");
        var report = LinuxReport.AssertPassed(run, [.. LinuxDiskScenario.Checks, LinuxDiskScenario.TrimCheck]);
        foreach (var check in report.Checks.Values)
            output.WriteLine($"{check.Name} {check.Status} {check.Detail}");

        foreach (string image in new[] { images.Disk, images.FileSystem })
            output.WriteLine($"qemu-img check {Path.GetFileName(image)}: {await QemuImg.CheckAsync(image)}");
        string diskRaw = Path.Combine(directory.Path, "vda.raw"), fileSystemRaw = Path.Combine(directory.Path, "vdb.raw");
        await QemuImg.ConvertToRawAsync(images.Disk, diskRaw);
        await QemuImg.ConvertToRawAsync(images.FileSystem, fileSystemRaw);
        await disks.AssertTheHostSeesWhatTheGuestWroteAsync(diskRaw, fileSystemRaw);
        Assert.Equal(images.BackingHash, QemuImg.Sha256(disks.Disk.Path));

        // fstrim gave the 12 MiB file's clusters back: the image maps less than that (mkfs's metadata and journal are about 4.5 MiB).
        long allocated = await QemuImg.AllocatedBytesAsync(images.FileSystem);
        output.WriteLine($"/dev/vdb's image maps {allocated >> 10} KiB after fstrim");
        Assert.True(allocated < LinuxDiskScenario.TrimMiB << 20,
            $"expected the trimmed file system's image to map less than the {LinuxDiskScenario.TrimMiB} MiB the guest wrote and removed; qemu-img map counts {allocated} bytes");
    }

    /// <summary>
    /// glue is killed with SIGKILL at a random moment of the guest's writes (mkfs, or the 12 MiB file after it), then
    /// qemu-img check finds both images free of corruption (leaked clusters allowed, as QEMU allows them) and the
    /// backing file unchanged; the next round boots on the same images, so glue also reopens each killed image.
    /// </summary>
    [Qcow2LinuxFact]
    public async Task Killing_glue_in_the_middle_of_Linux_writes_leaves_qcow2_images_free_of_corruption()
    {
        using var directory = new TempDirectory();
        using var runtime = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        var images = await Qcow2Disks.MakeAsync(directory, disks, compressed: false, lazyRefcounts: false);
        var random = new Random(18);
        var clock = Stopwatch.StartNew();
        for (int kill = 0; kill < Kills; kill++)
        {
            using var vm = WatchedProcess.Start(GlueInvocation.StartInfo(runtime.Path, images.RunArguments()));
            // Even rounds (the one by default among them): in the 12 MiB file written after mkfs; odd ones: in the pattern write and mkfs.
            string after = kill % 2 == 0 ? "GLUE-LINUX blk.mkfs" : "GLUE-LINUX-SHELL ready";
            await vm.WaitForLineAsync(after, TimeSpan.FromMinutes(8));   // a boot takes minutes in a busy software KVM host
            int delay = random.Next(kill % 2 == 0 ? 2000 : 4000);
            await Task.Delay(delay);
            Assert.False(vm.HasPrinted("GLUE-LINUX-DONE"), $"round {kill}: the guest was done before the kill, {delay} ms after '{after}'; {vm.Describe()}");
            int killed = KvmHost.Run("kill", "-KILL", vm.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(killed == 0, $"round {kill}: glue ended before it was killed; {vm.Describe()}");
            Assert.Equal(128 + PosixSignal.SIGKILL, await vm.TryWaitForExitAsync(TimeSpan.FromSeconds(30)));
            var lastCheck = vm.Read(lines => lines.LastOrDefault(l => l.StartsWith("GLUE-LINUX ", StringComparison.Ordinal)) ?? "none");
            var vdb = await QemuImg.CheckAsync(images.FileSystem, leaksAllowed: true);
            await QemuImg.CheckAsync(images.Disk, leaksAllowed: true);
            output.WriteLine($"round {kill}: killed {delay} ms after '{after}' (the last check line: {lastCheck}); /dev/vdb's image: {QemuImg.Count(vdb, "allocated-clusters")} clusters, {QemuImg.Count(vdb, "leaks")} leaked");
        }
        Assert.Equal(images.BackingHash, QemuImg.Sha256(disks.Disk.Path));
        output.WriteLine($"{Kills} kills in {clock.Elapsed.TotalSeconds:F0} s");
    }
}

/// <summary>The scenario's two disks as qcow2 images qemu-img made, and the `glue run` of the Linux guest on them.</summary>
internal sealed record Qcow2Disks(string Disk, string FileSystem, string BackingHash)
{
    public static async Task<Qcow2Disks> MakeAsync(TempDirectory directory, LinuxDiskScenario disks, bool compressed, bool lazyRefcounts)
    {
        string disk = Path.Combine(directory.Path, "vda.qcow2"), fileSystem = Path.Combine(directory.Path, "vdb.qcow2");
        string options = $"cluster_size=4096,lazy_refcounts={(lazyRefcounts ? "on" : "off")}";
        if (compressed)
        {
            string text = Path.Combine(directory.Path, "text.raw");
            File.WriteAllText(text, string.Concat(Enumerable.Range(0, (int)(LinuxDiskScenario.FileSystemBytes / 32)).Select(i => $"glue qcow2 compressed {i,9}\n")));
            await QemuImg.RunAsync("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", options, disks.Disk.Path, disk);
            await QemuImg.RunAsync("convert", "-c", "-f", "raw", "-O", "qcow2", "-o", options, text, fileSystem);
        }
        else
        {
            await QemuImg.RunAsync("create", "-q", "-f", "qcow2", "-b", disks.Disk.Path, "-F", "raw", disk);
            await QemuImg.RunAsync("create", "-q", "-f", "qcow2", "-o", $"lazy_refcounts={(lazyRefcounts ? "on" : "off")}", fileSystem,
                LinuxDiskScenario.FileSystemBytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return new Qcow2Disks(disk, fileSystem, QemuImg.Sha256(disks.Disk.Path));
    }

    public string[] RunArguments() =>
        ["run", "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
         "-c", "2", "-m", "512", "-d", $"{Disk},format=qcow2", "-d", $"{FileSystem},format=qcow2",
         "-p", $"{LinuxDiskScenario.Keys} {LinuxDiskScenario.TrimKey}"];
}
