using System.Text.Json.Nodes;
using Glue.Core.Machine;

namespace Glue.Core.Snapshot;

/// <summary>A snapshot's parts, as written or as read back and checked: the machine, each vCPU, the VM's in-kernel state, each device by name.</summary>
public sealed record SnapshotState(MachineConfig Machine, JsonArray Vcpus, JsonObject Vm, JsonObject Devices)
{
    public const string MachinePart = "machine", VcpusPart = "vcpus", VmPart = "vm", DevicesPart = "devices";

    public JsonObject MachineJson() => new() { ["cpus"] = Machine.Cpus, ["memoryBytes"] = Machine.MemoryBytes };

    public static MachineConfig ReadMachine(JsonObject machine) => new((int)machine.U32("cpus"), machine.U64("memoryBytes"));
}
