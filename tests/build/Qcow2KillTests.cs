using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// kill -9 of glue in the middle of the test guest's verified writes (blk-soak: a 4 KiB write, a FLUSH and a read
/// back per round) to a qcow2 image over the raw pattern disk as its backing file: each first write to a cluster
/// allocates it and copies the rest of it up from the backing file. After each kill qemu-img check finds no
/// corruption (leaked clusters allowed, as QEMU allows them), every round the guest saw flushed is in the image as
/// qemu-img convert reads it, and the backing file is unchanged. The test guest boots in a moment, so this test
/// kills many times; the Linux one (<see cref="LinuxQcow2Tests"/>) kills during mkfs and a file system's writes.
/// </summary>
[Trait("Device", "serial"), Trait("Device", "blk")]
public sealed class Qcow2KillTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] ClusterSizes = ["512", "4096", "65536"];
    private readonly TempDirectory _directory = new();
    private readonly TempDirectory _runtime = new();

    /// <summary>How many kills; GLUE_SOAK_QCOW2_KILLS sets it (docs/testing.md).</summary>
    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("GLUE_SOAK_QCOW2_KILLS"), out int kills) && kills > 0 ? kills : 8;

    [Qcow2KvmFact]
    public async Task Killing_glue_mid_write_leaves_a_qcow2_image_free_of_corruption_with_every_flushed_write()
    {
        var random = new Random(18);
        var clock = Stopwatch.StartNew();
        for (int kill = 0; kill < Kills; kill++)
        {
            string clusterSize = ClusterSizes[kill % ClusterSizes.Length], image = Path.Combine(_directory.Path, $"kill{kill}.qcow2");
            string backingHash = "";
            using var vm = await BlkSoakVm.StartAsync(_directory, _runtime.Path, $"kill{kill}", async disk =>
            {
                await QemuImg.RunAsync("create", "-q", "-f", "qcow2", "-o", $"cluster_size={clusterSize}", "-b", disk.Path, "-F", "raw", image);
                backingHash = QemuImg.Sha256(disk.Path);
                return $"{image},format=qcow2";
            });
            int delay = random.Next(1500);   // from round 0: within the first laps of the 64 slots, while clusters are still being allocated
            await Task.Delay(delay);
            int killed = KvmHost.Run("kill", "-KILL", vm.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(killed == 0, $"kill {kill}: glue ended before it was killed; {vm.Describe()}");
            Assert.Equal(128 + PosixSignal.SIGKILL, await vm.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Null(vm.GuestProblem);

            var check = await QemuImg.CheckAsync(image, leaksAllowed: true);
            string raw = Path.ChangeExtension(image, ".raw");
            await QemuImg.ConvertToRawAsync(image, raw);
            Assert.True(vm.DiskProblem(raw) is null, $"kill {kill} ({clusterSize}-byte clusters, after round {vm.LastRound}): {vm.DiskProblem(raw)}");
            Assert.Equal(backingHash, QemuImg.Sha256(vm.Disk.Path));
            output.WriteLine($"kill {kill}: {clusterSize}-byte clusters, {delay} ms after round 0, after round {vm.LastRound}; " +
                $"{QemuImg.Count(check, "allocated-clusters")} clusters allocated, {QemuImg.Count(check, "leaks")} leaked");
        }
        output.WriteLine($"{Kills} kills in {clock.Elapsed.TotalSeconds:F0} s");
    }

    public void Dispose()
    {
        _directory.Dispose();
        _runtime.Dispose();
    }
}
