using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using static Glue.Devices.Input.VirtioInput;

namespace Glue.Devices.Input;

/// <summary>
/// struct virtio_input_config (§5.8.5): the driver writes select and subsel, then reads size and the union the
/// pair selects. The answer is worked out once per write, into a buffer of 136 bytes. Accessed from vCPU threads.
/// </summary>
internal sealed class InputConfigSpace(InputIdentity identity)
{
    private readonly byte[] _config = new byte[ConfigBytes];
    private readonly object _gate = new();

    public void Read(int offset, Span<byte> data)
    {
        lock (_gate) _config.AsSpan(offset, data.Length).CopyTo(data);
    }

    /// <summary>Only select and subsel are writable (§5.8.5.1: the driver MUST NOT write to the other fields).</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            for (int i = 0; i < data.Length; i++)
            {
                if (offset + i is ConfigSelect or ConfigSubsel) _config[offset + i] = data[i];
            }
            Select(_config[ConfigSelect], _config[ConfigSubsel]);
        }
    }

    private void Select(byte select, byte subsel)
    {
        var union = _config.AsSpan(ConfigUnion, UnionBytes);
        union.Clear();
        int size = select switch
        {
            VIRTIO_INPUT_CFG_ID_NAME when subsel == 0 => Text(identity.Name, union),
            VIRTIO_INPUT_CFG_ID_SERIAL when subsel == 0 => Text(identity.Serial, union),
            VIRTIO_INPUT_CFG_ID_DEVIDS when subsel == 0 => Write(identity.Ids, union),
            VIRTIO_INPUT_CFG_PROP_BITS when subsel == 0 => Bitmap(identity.Properties, union),
            VIRTIO_INPUT_CFG_EV_BITS when identity.Events.TryGetValue(subsel, out var codes) => Math.Max(Bitmap(codes, union), 1),   // EV_REP has no codes: size 1 says the type is there
            VIRTIO_INPUT_CFG_ABS_INFO when identity.Axes.TryGetValue(subsel, out var axis) => Write(axis, union),
            _ => 0,   // VIRTIO_INPUT_CFG_UNSET, or nothing to say for this pair
        };
        _config[ConfigSize] = (byte)size;
    }

    private static int Text(string text, Span<byte> union) => Encoding.ASCII.GetBytes(text.AsSpan(0, Math.Min(text.Length, UnionBytes)), union);

    private static int Write<T>(T value, Span<byte> union) where T : unmanaged
    {
        MemoryMarshal.Write(union, in value);
        return Unsafe.SizeOf<T>();
    }

    /// <summary>One bit per code (code 0 is bit 0 of byte 0); the size runs to the byte holding the highest bit.</summary>
    private static int Bitmap(IReadOnlyList<ushort> codes, Span<byte> union)
    {
        int size = 0;
        foreach (ushort code in codes)
        {
            union[code / 8] |= (byte)(1 << (code % 8));
            size = Math.Max(size, code / 8 + 1);
        }
        return size;
    }
}
