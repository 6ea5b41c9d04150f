namespace Glue.Core.Terminal;

/// <summary>
/// QEMU's console escape on the byte stream from the user: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A,
/// Ctrl-A followed by anything else sends both. The escape may be split across reads.
/// </summary>
public sealed class ConsoleEscape(Action onQuit)
{
    private const byte CtrlA = 0x01;
    private bool _escapePending;

    /// <summary>Filters input into output (at least twice input's length); returns how many bytes go on to the guest.</summary>
    public int Filter(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int count = 0;
        foreach (byte b in input)
        {
            if (_escapePending)
            {
                _escapePending = false;
                if (b == (byte)'x')
                {
                    onQuit();
                    return count;
                }
                if (b != CtrlA) output[count++] = CtrlA;
                output[count++] = b;
            }
            else if (b == CtrlA)
            {
                _escapePending = true;
            }
            else
            {
                output[count++] = b;
            }
        }
        return count;
    }
}
