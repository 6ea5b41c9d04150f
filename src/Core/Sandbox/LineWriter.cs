namespace Glue.Core.Sandbox;

/// <summary>Bytes appended to a fixed buffer, cut short when it is full: what a signal handler may use to format.</summary>
internal ref struct LineWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;

    public int Length { get; private set; }

    public void Append(scoped ReadOnlySpan<byte> text)
    {
        int count = Math.Min(text.Length, _buffer.Length - Length);
        text[..count].CopyTo(_buffer[Length..]);
        Length += count;
    }

    public void AppendDecimal(ulong value)
    {
        Span<byte> digits = stackalloc byte[20];
        int at = digits.Length;
        do
        {
            digits[--at] = (byte)('0' + value % 10);
            value /= 10;
        } while (value != 0);
        Append(digits[at..]);
    }

    public void AppendHex(ulong value)
    {
        Span<byte> digits = stackalloc byte[16];
        int at = digits.Length;
        do
        {
            digits[--at] = (byte)"0123456789abcdef"u8[(int)(value & 0xf)];
            value >>= 4;
        } while (value != 0);
        Append(digits[at..]);
    }
}
