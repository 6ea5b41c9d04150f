using System.Diagnostics;

namespace Glue.Build;

/// <summary>
/// The `soak` target: how often the software KVM host (tests/host/README.md) fails a guest that hardware runs.
/// One host boot serves BOOTS runs of stock Linux in glue (the Linux test guest on 2 vCPUs with its rng check), each
/// bounded by a watchdog; a run passes when the guest reaches GLUE-LINUX-DONE and glue ends with 0. The emulator is
/// QEMU 10 (the tests') or, with --qemu system, the system's QEMU 7.2, so that the two can be compared.
/// </summary>
public sealed class HostSoak(Repository repository)
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromMinutes(3);

    public int Run(int boots, bool systemQemu)
    {
        var steps = new BuildSteps(repository);
        string glue = steps.Publish(repository.DefaultManifest());
        string linux = steps.BuildLinuxGuest();
        string qemu = systemQemu ? "/" : steps.FetchQemu10();
        using var host = new SoftwareKvmHost(steps.BuildSoftwareKvmHost(), qemu, repository.Artifacts);
        int passed = 0, failed = 0, hung = 0;
        var times = new List<double>();
        for (int i = 1; i <= boots; i++)
        {
            var clock = Stopwatch.StartNew();
            var (status, output) = RunOnce(host, glue, linux);
            string verdict = status is null ? "hung" : status == 0 && output.Contains("GLUE-LINUX-DONE", StringComparison.Ordinal) ? "passed" : $"failed (exit {status})";
            if (verdict == "passed")
            {
                passed++;
                times.Add(clock.Elapsed.TotalSeconds);
            }
            else if (status is null)
            {
                hung++;
            }
            else
            {
                failed++;
            }
            Console.WriteLine($"    boot {i}/{boots}: {verdict} in {clock.Elapsed.TotalSeconds:F1} s" +
                (verdict == "passed" ? "" : $"; last lines: {string.Join(" | ", output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3))}"));
        }
        times.Sort();
        Console.WriteLine($"soak ({(systemQemu ? "system QEMU" : "QEMU 10")}): {passed} passed, {failed} failed, {hung} hung of {boots} Linux boots; " +
            $"{host.Restarts} host restart(s); median {(times.Count > 0 ? times[times.Count / 2] : 0):F1} s a boot");
        return failed + hung > 0 ? 1 : 0;
    }

    private static (int? Status, string Output) RunOnce(SoftwareKvmHost host, string glue, string linux)
    {
        var start = host.StartInfo(glue, ["run", "-k", Path.Combine(linux, "vmlinuz"), "-i", Path.Combine(linux, "initramfs.cpio.gz"),
            "-c", "2", "-m", "512", "--rng", "-p", "glue.rng=1"]);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(BootLimit))
        {
            process.Kill();
            process.WaitForExit();
            return (null, output.Result + errors.Result);
        }
        return (process.ExitCode, output.Result + errors.Result);
    }
}
