using System.Runtime.InteropServices;

namespace Glue.Devices.Input;

/// <summary>The input device's constants (virtio 1.2 §5.8), named as in Linux's include/uapi/linux/virtio_input.h.</summary>
public static class VirtioInput
{
    // §5.8.5 enum virtio_input_config_select.
    public const byte VIRTIO_INPUT_CFG_UNSET = 0x00;
    public const byte VIRTIO_INPUT_CFG_ID_NAME = 0x01;
    public const byte VIRTIO_INPUT_CFG_ID_SERIAL = 0x02;
    public const byte VIRTIO_INPUT_CFG_ID_DEVIDS = 0x03;
    public const byte VIRTIO_INPUT_CFG_PROP_BITS = 0x10;
    public const byte VIRTIO_INPUT_CFG_EV_BITS = 0x11;
    public const byte VIRTIO_INPUT_CFG_ABS_INFO = 0x12;

    // struct virtio_input_config offsets (§5.8.5).
    public const int ConfigSelect = 0;
    public const int ConfigSubsel = 1;
    public const int ConfigSize = 2;      // the size field: bytes of the union that the selection fills
    public const int ConfigUnion = 8;
    public const int UnionBytes = 128;
    public const int ConfigBytes = ConfigUnion + UnionBytes;

    public const int EventQueue = 0;
    public const int StatusQueue = 1;
}

/// <summary>struct virtio_input_event (§5.8.6): an evdev event without its timestamp.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct VirtioInputEvent(ushort Type, ushort Code, uint Value);

/// <summary>struct virtio_input_absinfo (§5.8.5).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct VirtioInputAbsInfo(uint Min, uint Max, uint Fuzz, uint Flat, uint Res);

/// <summary>struct virtio_input_devids (§5.8.5).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct VirtioInputDevIds(ushort Bustype, ushort Vendor, ushort Product, ushort Version);
