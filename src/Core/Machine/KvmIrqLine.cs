using Glue.Core.Kvm;

namespace Glue.Core.Machine;

/// <summary>An interrupt line driven with KVM_IRQ_LINE.</summary>
internal sealed class KvmIrqLine(KvmVm vm, uint gsi) : IInterruptLine
{
    public uint Gsi { get; } = gsi;

    public void Set(bool level) => vm.SetIrqLine(Gsi, level);
}
