namespace Glue.Core.Machine;

/// <summary>
/// Hands out the I/O APIC inputs (GSIs) devices interrupt on. Legacy devices keep their ISA IRQs (COM1 on 4,
/// the i8042 on 1); the rest get the inputs a PC leaves free for add-in devices: 5, 6, 7, 9, 10, 11, then the
/// I/O APIC's 16-23, which have no ISA meaning at all.
/// </summary>
public sealed class GsiAllocator
{
    private static readonly uint[] Free = [5, 6, 7, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23];
    private int _next;

    /// <summary>The next free GSI; throws when all are taken.</summary>
    public uint Allocate() =>
        _next < Free.Length
            ? Free[_next++]
            : throw new Glue.Core.Devices.DeviceConfigException($"no interrupt left for another device: {Free.Length} GSIs are shared out already");
}
