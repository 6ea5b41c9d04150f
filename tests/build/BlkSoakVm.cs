using System.Buffers.Binary;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Glue.BuildTests;

/// <summary>
/// A `glue run` of the test guest in blk-soak mode (tests/guest/mode_blk_soak.c) over a disk of its own, left
/// running while a test kills, stops or pauses it. Each `GLUE-BLK-SOAK n` line means round n's write is flushed
/// and everything before it was read back as written; <see cref="DiskProblem"/> then checks the host file.
/// </summary>
public sealed partial class BlkSoakVm : IDisposable
{
    public const long DiskSectors = 1024; // 64 slots of 8 sectors: the guest's whole ring
    private const int SlotSectors = 8, Slots = 64;
    private const uint DiskSeed = 7, RoundSeed = 0x50000000;

    private readonly WatchedProcess _process;

    private BlkSoakVm(WatchedProcess process, TestDisk disk)
    {
        _process = process;
        Disk = disk;
    }

    public TestDisk Disk { get; }

    public int Pid => _process.Pid;

    /// <summary>
    /// Starts the guest on a raw disk of the pattern, or on what <paramref name="asDisk"/> makes of it (a qcow2 image
    /// over it as its backing file, say): the `--disk` value.
    /// </summary>
    public static async Task<BlkSoakVm> StartAsync(TempDirectory directory, string runtimeDirectory, string name, Func<TestDisk, Task<string>>? asDisk = null)
    {
        var disk = TestDisk.Write(directory, $"{name}.img", DiskSectors, DiskSeed);
        string diskOption = asDisk is null ? disk.Path : await asDisk(disk);
        var vm = new BlkSoakVm(WatchedProcess.Start(GlueInvocation.StartInfo(runtimeDirectory,
            ["run", "-k", TestEnvironment.Guest, "-p", "glue.mode=blk-soak", "-n", name, "-d", diskOption])), disk);
        try
        {
            await vm.WaitForRoundAsync(0, TimeSpan.FromMinutes(2));   // a boot is slow in a busy software KVM host
            return vm;
        }
        catch
        {
            vm.Dispose();
            throw;
        }
    }

    /// <summary>Every round the guest reported, in order (they must be 0, 1, 2, ... with no gap).</summary>
    public IReadOnlyList<long> Rounds =>
        _process.Read(lines => lines.Select(l => RoundLine().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value)).ToList());

    public long LastRound => Rounds.DefaultIfEmpty(-1).Last();

    /// <summary>A `GLUE-BLK-SOAK FAIL` line or a line the guest should never print.</summary>
    public string? GuestProblem => _process.Read(lines => lines.FirstOrDefault(l => l.Contains("FAIL", StringComparison.Ordinal)));

    public async Task WaitForRoundAsync(long atLeast, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (LastRound < atLeast)
        {
            if (_process.HasExited || clock.Elapsed > limit || GuestProblem is not null) throw new TimeoutException($"round {atLeast} not reached; {Describe()}");
            await Task.Delay(10);
        }
    }

    public Task<int?> WaitForExitAsync(TimeSpan limit) => _process.TryWaitForExitAsync(limit);

    /// <summary>
    /// Null if the host file holds, in every slot, the last reported round's write or one after it (a round in
    /// flight when glue died), and the disk's own pattern beyond the slots; else the first difference. The file is
    /// the raw disk, or <paramref name="rawCopy"/> (what qemu-img convert -O raw read from a qcow2 image over it).
    /// </summary>
    public string? DiskProblem(string? rawCopy = null)
    {
        long last = LastRound;
        var bytes = File.ReadAllBytes(rawCopy ?? Disk.Path);
        if (bytes.Length != DiskSectors * TestDisk.SectorBytes) return $"the disk is {bytes.Length} bytes";
        for (int slot = 0; slot < Slots; slot++)
        {
            long reported = last - ((last - slot) % Slots + Slots) % Slots; // the last round <= last that wrote this slot
            long sector = (long)slot * SlotSectors;
            var data = bytes.AsSpan((int)(sector * TestDisk.SectorBytes), SlotSectors * TestDisk.SectorBytes);
            bool ok = (reported < 0 ? Holds(data, DiskSeed, sector) : Holds(data, unchecked(RoundSeed + (uint)reported), sector))
                || Holds(data, unchecked(RoundSeed + (uint)(reported + Slots)), sector);
            if (!ok) return $"slot {slot} (sector {sector}) holds neither round {reported} (the last reported to write it) nor round {reported + Slots}; last round {last}";
        }
        return null;
    }

    private static bool Holds(ReadOnlySpan<byte> data, uint seed, long sector)
    {
        for (int i = 0; i < data.Length; i += 4)
            if (BinaryPrimitives.ReadUInt32LittleEndian(data[i..]) != unchecked(seed + (uint)((sector * TestDisk.SectorBytes + i) / 4) * 0x9e3779b1))
                return false;
        return true;
    }

    public string Describe() => _process.Describe();

    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@"^GLUE-BLK-SOAK (\d+) sector")]
    private static partial Regex RoundLine();
}
