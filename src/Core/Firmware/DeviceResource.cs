namespace Glue.Core.Firmware;

/// <summary>One resource in a device's _CRS (ACPI 6.5, 6.4 "Resource Data Types for ACPI").</summary>
public abstract record DeviceResource;

/// <summary>A fixed range of I/O ports: an I/O Port Descriptor (6.4.2.5) with 16-bit decode; at most 255 ports.</summary>
public sealed record IoPortResource(ushort Base, ushort Length) : DeviceResource;

/// <summary>A fixed read/write MMIO window below 4 GiB: a 32-Bit Fixed Memory Range Descriptor (6.4.3.4).</summary>
public sealed record MmioResource(uint Base, uint Length) : DeviceResource;

/// <summary>An IOAPIC input: an Extended Interrupt Descriptor (6.4.3.6), edge-triggered, active high, exclusive.</summary>
public sealed record InterruptResource(uint Gsi) : DeviceResource;

/// <summary>A range of bus numbers a host bridge decodes: a Word Address Space Descriptor (6.4.3.5.3), resource producer.</summary>
public sealed record BusNumberRangeResource(byte First, byte Last) : DeviceResource;

/// <summary>A range of I/O ports a host bridge passes on: a Word Address Space Descriptor (6.4.3.5.3), resource producer.</summary>
public sealed record IoRangeResource(ushort First, ushort Last) : DeviceResource;

/// <summary>
/// A memory window a host bridge passes on: a DWord (6.4.3.5.2) or, above 4 GiB, a QWord (6.4.3.5.1) Address Space
/// Descriptor, resource producer; prefetchable windows are marked cacheable.
/// </summary>
public sealed record MemoryRangeResource(ulong Base, ulong Length, bool Prefetchable) : DeviceResource;
