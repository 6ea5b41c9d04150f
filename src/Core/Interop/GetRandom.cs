using System.Runtime.InteropServices;

namespace Glue.Core.Interop;

/// <summary>
/// Random bytes from the kernel's getrandom(2): the rng device's entropy, random MAC addresses, VNC challenges. Glue
/// takes none from .NET's RandomNumberGenerator, which loads libssl at run time.
/// </summary>
public static unsafe partial class GetRandom
{
    private const int EINTR = 4;

    /// <summary>getrandom(2) with no flags: the urandom pool, blocking only until it is first initialized. Returns -1 and sets errno on failure.</summary>
    [LibraryImport("libc", EntryPoint = "getrandom", SetLastError = true)]
    private static partial nint Native(byte* buffer, nuint length, uint flags);

    /// <summary>Fills <paramref name="buffer"/> (guest memory too, directly) with random bytes; a signal may cut a large read short, so it loops.</summary>
    public static void Fill(Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length)
            {
                nint got = Native(start + done, (nuint)(buffer.Length - done), 0);
                if (got > 0)
                {
                    done += (int)got;
                    continue;
                }
                int errno = Marshal.GetLastPInvokeError();
                if (got < 0 && errno == EINTR) continue;
                throw new IOException($"getrandom failed: errno {errno}");
            }
        }
    }
}
