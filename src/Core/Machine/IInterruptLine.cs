namespace Glue.Core.Machine;

/// <summary>One interrupt input of the in-kernel PIC/IOAPIC (a GSI), as a device drives it.</summary>
public interface IInterruptLine
{
    uint Gsi { get; }

    /// <summary>Drives the line to a level; for an edge-triggered input the rising edge is what counts.</summary>
    void Set(bool level);
}
