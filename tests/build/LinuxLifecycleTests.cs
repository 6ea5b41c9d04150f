using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// `glue list`, `pause`, `resume` and `stop` on stock Linux: the guest counts on its console (tests/linux's
/// glue.count), `list` shows it running, a pause holds the count still for a second, a resume lets it go on, and
/// `stop` ends glue with 0, the disks the guest wrote to (a pattern, then an ext4 file system) intact on the host.
/// </summary>
[Trait("Category", "Linux"), Trait("Device", "serial"), Trait("Device", "i8042"), Trait("Device", "blk"), Trait("Transport", "virtio-pci")]
public class LinuxLifecycleTests(ITestOutputHelper output)
{
    private const string Name = "counting-linux";

    [FullLinuxBootFact]
    public async Task A_counting_linux_guest_is_listed_paused_resumed_and_stopped_with_its_disks_written()
    {
        using var directory = new TempDirectory();
        var disks = new LinuxDiskScenario(directory);
        using var vm = WatchedProcess.Start(GlueInvocation.StartInfo(directory.Path,
            ["run", "-n", Name, "-k", Path.Combine(TestEnvironment.Linux, "vmlinuz"), "-i", Path.Combine(TestEnvironment.Linux, "initramfs.cpio.gz"),
             "-c", "2", "-m", "512", "-d", disks.Disk.Path, "-d", disks.FileSystem, "-p", $"{LinuxDiskScenario.Keys} glue.count=1200"]));
        await vm.WaitForLineAsync("GLUE-LINUX-COUNT 5", TimeSpan.FromMinutes(3));

        Assert.Equal($"{vm.Pid} {Name} running", await ListedAsync(directory));
        Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "pause", "-n", Name)).ExitCode);
        Assert.Equal($"{vm.Pid} {Name} paused", await ListedAsync(directory));
        await Task.Delay(200);   // lines already in the pipe arrive
        int held = Counted(vm);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(held, Counted(vm));
        Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "resume", "-n", Name)).ExitCode);
        await vm.WaitForLineAsync($"GLUE-LINUX-COUNT {held + 5}", TimeSpan.FromSeconds(60));
        Assert.Equal(0, (await GlueInvocation.RunAsync(directory.Path, "stop", "-n", Name)).ExitCode);
        var run = await vm.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(run.ExitCode == 0, $"expected glue stop to end glue with 0; {run.Describe()}");
        var report = LinuxReport.Parse(run.Stdout);
        foreach (var check in LinuxDiskScenario.Checks)
            Assert.True(report.Checks.TryGetValue(check, out var result) && result.Status == "PASS", $"expected GLUE-LINUX {check} PASS; {run.Describe()}");
        output.WriteLine($"paused at count {held}; stopped at {Counted(vm)}");
        await disks.AssertTheHostSeesWhatTheGuestWroteAsync();
    }

    private static int Counted(WatchedProcess vm) => vm.Read(lines => lines.Count(line => line.StartsWith("GLUE-LINUX-COUNT ", StringComparison.Ordinal)));

    /// <summary>`glue list`'s row for the VM: pid, name, state.</summary>
    private static async Task<string> ListedAsync(TempDirectory runtime)
    {
        var list = await GlueInvocation.RunAsync(runtime.Path, "list");
        Assert.True(list.ExitCode == 0, list.Describe());
        return string.Join(' ', Assert.Single(list.Stdout.Skip(1)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3));
    }
}
