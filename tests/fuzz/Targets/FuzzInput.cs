using System.Buffers.Binary;

namespace Glue.Fuzz.Targets;

/// <summary>Reads a fuzz input front to back; past its end every read is zero, so any input is a whole one.</summary>
internal sealed class FuzzInput(byte[] bytes)
{
    private int _position;

    public bool AtEnd => _position >= bytes.Length;
    public int Remaining => Math.Max(0, bytes.Length - _position);

    public byte Byte() => _position < bytes.Length ? bytes[_position++] : (byte)0;

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8));

    /// <summary>The next <paramref name="count"/> bytes, zero-padded past the end.</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        var result = new byte[count];
        int available = Math.Clamp(bytes.Length - _position, 0, count);
        if (available > 0) bytes.AsSpan(_position, available).CopyTo(result);
        _position += count;
        return result;
    }

    /// <summary>Everything not read yet.</summary>
    public ReadOnlySpan<byte> Rest() => _position < bytes.Length ? bytes.AsSpan(_position) : [];
}
