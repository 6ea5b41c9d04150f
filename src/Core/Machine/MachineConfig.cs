using Glue.Core.Firmware;
using Glue.Core.Memory;

namespace Glue.Core.Machine;

/// <summary>The shape of a VM: how many vCPUs and how much RAM.</summary>
public sealed record MachineConfig(int Cpus, ulong MemoryBytes)
{
    /// <summary>Enough for the boot structures below 1 MiB plus a small kernel above it.</summary>
    public const ulong MinimumMemory = 4 * MemoryLayout.MiB;

    /// <summary>Checks the shape against this host; throws <see cref="MachineConfigException"/> with the reason.</summary>
    public void Validate(int maxVcpus, ulong hostMemoryBytes)
    {
        if (Cpus < 1) throw new MachineConfigException($"--cpus must be at least 1, not {Cpus}");
        if (Cpus > maxVcpus) throw new MachineConfigException($"--cpus {Cpus} is more than KVM allows on this host ({maxVcpus})");
        if (Cpus > FirmwareTables.MaxCpus)
        {
            throw new MachineConfigException($"--cpus {Cpus} is more than the MP table describes ({FirmwareTables.MaxCpus})");
        }
        if (MemoryBytes < MinimumMemory) throw new MachineConfigException($"--mem must be at least {MinimumMemory >> 20} MiB");
        if (MemoryBytes > hostMemoryBytes)
        {
            throw new MachineConfigException($"--mem {MemoryBytes >> 20} MiB is more than this host has ({hostMemoryBytes >> 20} MiB)");
        }
    }

    /// <summary>MemTotal from /proc/meminfo, in bytes.</summary>
    public static ulong HostMemoryBytes()
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                return ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
            }
        }
        throw new InvalidOperationException("/proc/meminfo has no MemTotal");
    }
}

/// <summary>A VM shape this host cannot give.</summary>
public sealed class MachineConfigException(string message) : Exception(message);
