namespace Glue.Core.Firmware;

/// <summary>One resource in a device's _CRS (ACPI 6.5, 6.4 "Resource Data Types for ACPI").</summary>
public abstract record DeviceResource;

/// <summary>A fixed range of I/O ports: an I/O Port Descriptor (6.4.2.5) with 16-bit decode; at most 255 ports.</summary>
public sealed record IoPortResource(ushort Base, ushort Length) : DeviceResource;

/// <summary>A fixed read/write MMIO window below 4 GiB: a 32-Bit Fixed Memory Range Descriptor (6.4.3.4).</summary>
public sealed record MmioResource(uint Base, uint Length) : DeviceResource;

/// <summary>An IOAPIC input: an Extended Interrupt Descriptor (6.4.3.6), edge-triggered, active high, exclusive.</summary>
public sealed record InterruptResource(uint Gsi) : DeviceResource;
