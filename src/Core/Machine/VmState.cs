namespace Glue.Core.Machine;

/// <summary>What `glue list` shows for a VM.</summary>
public enum VmState
{
    Running,
    Paused,
}
