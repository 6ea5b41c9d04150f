using Xunit;
using Xunit.Abstractions;

namespace Glue.BuildTests;

/// <summary>
/// What the guest flushed is in the host file whatever happens to glue (SIGKILL, glue stop), and pause/resume
/// in the middle of verified block I/O loses and corrupts nothing. GLUE_SOAK_PAUSE_CYCLES (default 50) sets
/// the pause/resume count; the full soak is 1,000.
/// </summary>
[Trait("Device", "blk"), Trait("Device", "serial"), Trait("Transport", "virtio-mmio")]
[Collection(nameof(LifecycleTests))]
public sealed class NothingLostTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly TempDirectory _runtime = new();

    public void Dispose()
    {
        _directory.Dispose();
        _runtime.Dispose();
    }

    [KvmFact]
    public async Task A_write_the_guest_flushed_is_in_the_host_file_after_glue_is_killed()
    {
        using var vm = await BlkSoakVm.StartAsync(_directory, _runtime.Path, "killed");
        await vm.WaitForRoundAsync(80, TimeSpan.FromSeconds(30)); // past one lap of the 64 slots
        vm.Kill();
        Assert.Equal(128 + PosixSignal.SIGKILL, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(vm.GuestProblem);
        Assert.True(vm.DiskProblem() is null, $"{vm.DiskProblem()}; {vm.Describe()}");
        output.WriteLine($"killed after round {vm.LastRound}");
    }

    [KvmFact]
    public async Task Writes_before_glue_stop_are_in_the_host_file()
    {
        using var vm = await BlkSoakVm.StartAsync(_directory, _runtime.Path, "stopped");
        await vm.WaitForRoundAsync(80, TimeSpan.FromSeconds(30));
        var stop = await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "stopped");
        Assert.True(stop.ExitCode == 0, stop.Describe());
        Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(vm.GuestProblem);
        Assert.True(vm.DiskProblem() is null, $"{vm.DiskProblem()}; {vm.Describe()}");
        Assert.Empty(Directory.EnumerateFiles(_runtime.Path, "*", SearchOption.AllDirectories));
    }

    [KvmFact, Trait("Category", "Soak")]
    public async Task Pause_and_resume_during_verified_block_io_lose_and_corrupt_nothing()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("GLUE_SOAK_PAUSE_CYCLES"), out int n) ? n : 50;
        using var vm = await BlkSoakVm.StartAsync(_directory, _runtime.Path, "soaked");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < cycles; i++)
        {
            var pause = await GlueInvocation.RunAsync(_runtime.Path, "pause", "-n", "soaked");
            var resume = await GlueInvocation.RunAsync(_runtime.Path, "resume", "-n", "soaked");
            Assert.True(pause.ExitCode == 0 && resume.ExitCode == 0, $"cycle {i}: {pause.Describe()} {resume.Describe()}; the VM: {vm.Describe()}");
            Assert.True(vm.GuestProblem is null, $"cycle {i}: {vm.GuestProblem}");
        }
        long atEnd = vm.LastRound;
        // A generous ceiling: each round flushes to a file that, in the software KVM host, lies on an uncached 9p share.
        await vm.WaitForRoundAsync(atEnd + 20, TimeSpan.FromMinutes(2));
        Assert.Equal(0, (await GlueInvocation.RunAsync(_runtime.Path, "stop", "-n", "soaked")).ExitCode);
        Assert.Equal(0, await vm.WaitForExitAsync(TimeSpan.FromSeconds(5)));

        var rounds = vm.Rounds;
        Assert.Null(vm.GuestProblem);
        Assert.True(rounds.SequenceEqual(Enumerable.Range(0, rounds.Count).Select(r => (long)r)), "rounds have a gap or a repeat");
        Assert.True(vm.DiskProblem() is null, $"{vm.DiskProblem()}; {vm.Describe()}");
        output.WriteLine($"{cycles} pause/resume cycles in {clock.Elapsed.TotalSeconds:F1} s; {rounds.Count} verified rounds (write, flush, read back, recheck), no gap, no corruption");
    }
}
