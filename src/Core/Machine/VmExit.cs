namespace Glue.Core.Machine;

/// <summary>Why a VM ended.</summary>
public enum VmExitKind
{
    /// <summary>The guest asked for a reset (i8042, KVM_SYSTEM_EVENT_RESET).</summary>
    Reset,

    /// <summary>The guest powered off.</summary>
    PowerOff,

    /// <summary>The user ended it (Ctrl-A x, stop, a signal).</summary>
    Stopped,

    /// <summary>The VM could not go on: an emulation failure, a triple fault, a failed entry, a KVM error, a guest crash.</summary>
    Failure,
}

/// <summary>The end of a VM: its kind and a one-line account of it.</summary>
public sealed record VmExit(VmExitKind Kind, string Message)
{
    /// <summary>The process exit status: 0 when the guest or user ended the VM, 1 when the VM failed.</summary>
    public int ExitCode => Kind == VmExitKind.Failure ? 1 : 0;
}
