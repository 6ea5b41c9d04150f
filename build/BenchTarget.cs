using System.Diagnostics;
using System.Globalization;

namespace Glue.Build;

/// <summary>
/// The `bench` target: the same guests under glue and under QEMU (`-M microvm -enable-kvm`), side by side in
/// one run, alternating so that both see the same machine load; it reports medians and glue/QEMU ratios.
/// Cases: the test guest booted to its end (start-up cost), the test guest driving two virtio disks and the
/// entropy device (virtio-mmio data path), and the Debian vmlinux to its `Command line:` line (how fast the
/// kernel's emulated CPL0 code reaches its first output: glue's 64-bit entry against QEMU's PVH entry).
/// Wall time is measured here; peak memory is /usr/bin/time's maximum resident set size.
/// </summary>
public sealed class BenchTarget(Repository repository)
{
    private const string QemuSystem = "qemu-system-x86_64";
    private static readonly string[] QemuMicrovm =
    [
        "-M", "microvm", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-nodefaults", "-no-user-config",
        "-nographic", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "512",
    ];

    private sealed record Case(string Name, string[] Glue, string[] Qemu, string? StopAtLine);

    private sealed record Sample(TimeSpan Wall, long PeakKiB);

    public int Run(int runs)
    {
        var steps = new BuildSteps(repository);
        string glue = steps.Publish(repository.DefaultManifest());
        string guest = steps.BuildGuest();
        string linux = steps.BuildLinuxGuest();
        using var disks = new BenchDisks();

        Case[] cases =
        [
            new("test guest boot", ["-k", guest, "-p", "glue.cpus=1"], ["-kernel", guest, "-append", "glue.cpus=1"], null),
            new("virtio blk+rng",
                ["-k", guest, "--disk", disks.Writable, "--disk", $"{disks.ReadOnly},ro", "--rng", "-p", $"glue.cpus=1 {BenchDisks.GuestKeys}"],
                ["-M", "microvm,acpi=off", "-global", "virtio-mmio.force-legacy=false",
                 "-drive", $"id=d0,file={disks.Writable},format=raw,if=none", "-device", "virtio-blk-device,drive=d0,serial=glue-disk-0",
                 "-drive", $"id=d1,file={disks.ReadOnly},format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=d1,serial=glue-disk-1",
                 "-device", "virtio-rng-device", "-kernel", guest, "-append", $"glue.cpus=1 {BenchDisks.GuestKeys}"],
                null),
            new("Debian vmlinux to 'Command line:'",
                ["-k", Path.Combine(linux, "vmlinux"), "-p", "earlyprintk=serial,ttyS0"],
                ["-kernel", Path.Combine(linux, "vmlinux"), "-append", "earlyprintk=serial,ttyS0 console=ttyS0"],
                "Command line:"),
        ];

        Console.WriteLine($"{"case",-36} {"glue",10} {"QEMU",10} {"ratio",7} {"glue RSS",10} {"QEMU RSS",10}");
        foreach (var benchCase in cases)
        {
            var glueSamples = new List<Sample>();
            var qemuSamples = new List<Sample>();
            // The Linux case spends tens of seconds in emulated code per run: three runs say enough.
            int caseRuns = benchCase.StopAtLine is null ? runs : Math.Min(runs, 3);
            for (int i = 0; i < caseRuns; i++)
            {
                disks.Reset();
                glueSamples.Add(Measure(glue, ["run", "-m", "512", .. benchCase.Glue], benchCase.StopAtLine));
                disks.Reset();
                // A case's own -M (microvm,acpi=off) comes after the default one, and QEMU takes the last.
                qemuSamples.Add(Measure(QemuSystem, [.. QemuMicrovm, .. benchCase.Qemu], benchCase.StopAtLine));
            }
            var glueWall = Median(glueSamples.Select(s => s.Wall.TotalSeconds));
            var qemuWall = Median(qemuSamples.Select(s => s.Wall.TotalSeconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{benchCase.Name,-36} {glueWall,9:F3}s {qemuWall,9:F3}s {glueWall / qemuWall,6:F2}x " +
                $"{Median(glueSamples.Select(s => (double)s.PeakKiB)) / 1024,7:F1} MiB {Median(qemuSamples.Select(s => (double)s.PeakKiB)) / 1024,7:F1} MiB"));
        }
        Console.WriteLine($"medians of {runs} alternating runs (3 for the Linux case); ratio = glue / QEMU wall time");
        return 0;
    }

    /// <summary>Runs the program under /usr/bin/time to its end, or until a line contains <paramref name="stopAtLine"/>.</summary>
    private static Sample Measure(string program, string[] arguments, string? stopAtLine)
    {
        string rssFile = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("/usr/bin/time")
            {
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["-f", "%M", "-o", rssFile, program, .. arguments]) start.ArgumentList.Add(argument);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            process.StandardInput.Close();
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            TimeSpan? seen = null;
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (stopAtLine is not null && line.Contains(stopAtLine, StringComparison.Ordinal))
                {
                    seen = clock.Elapsed;
                    KillChildren(process.Id);
                    break;
                }
            }
            process.WaitForExit();
            var wall = seen ?? clock.Elapsed;
            if (stopAtLine is not null && seen is null) throw new BuildFailure($"{program} ended without printing '{stopAtLine}'");
            long.TryParse(File.ReadAllText(rssFile).Trim().Split('\n')[^1], out long peak);
            return new Sample(wall, peak);
        }
        finally
        {
            File.Delete(rssFile);
        }
    }

    /// <summary>Kills what /usr/bin/time runs, so that time itself lives to report the peak memory.</summary>
    private static void KillChildren(int pid)
    {
        string children = File.ReadAllText($"/proc/{pid}/task/{pid}/children");
        foreach (var child in children.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            Process.GetProcessById(int.Parse(child, CultureInfo.InvariantCulture)).Kill();
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The two disk images the blk case uses, made afresh before every run (the guest writes to one).</summary>
    private sealed class BenchDisks : IDisposable
    {
        // The test guest's keys for them (tests/guest/README.md): pattern words seed + j * 0x9e3779b1.
        public const string GuestKeys =
            "glue.blk0=sectors:2048,pattern:305419896,write:1001:23:99,id:glue-disk-0 glue.blk1=sectors:128,pattern:7,ro,id:glue-disk-1 glue.rng=1";

        private readonly string _directory = Directory.CreateTempSubdirectory("glue-bench-").FullName;

        public string Writable => Path.Combine(_directory, "rw.img");
        public string ReadOnly => Path.Combine(_directory, "ro.img");

        public void Reset()
        {
            File.WriteAllBytes(Writable, Pattern(305419896, 2048 * 512));
            File.WriteAllBytes(ReadOnly, Pattern(7, 128 * 512));
        }

        private static byte[] Pattern(uint seed, int bytes)
        {
            var image = new byte[bytes];
            for (int j = 0; j < bytes / 4; j++)
                BitConverter.TryWriteBytes(image.AsSpan(j * 4), unchecked(seed + (uint)j * 0x9e3779b1));
            return image;
        }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
