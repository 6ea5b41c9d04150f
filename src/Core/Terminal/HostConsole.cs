using Glue.Core.Interop;
using System.Runtime.InteropServices;

namespace Glue.Core.Terminal;

/// <summary>
/// The host side of the guest's console: stdin read on a thread of its own and handed to a device, through
/// <see cref="ConsoleEscape"/>. When stdin is a terminal it is put in raw
/// mode, so keys reach the guest as typed, and restored on every way out of the process.
/// </summary>
public sealed partial class HostConsole : IDisposable
{
    private const int TCSANOW = 0;
    // sizeof(struct termios) on x86_64 glibc is 60; it is only ever passed back to libc, so opaque bytes do.
    private const int TermiosSize = 60;

    private static readonly object Gate = new();
    private static byte[]? _savedTermios;

    private readonly Action<ReadOnlySpan<byte>> _toGuest;
    private readonly ConsoleEscape _escape;

    private HostConsole(Action<ReadOnlySpan<byte>> toGuest, Action onQuit)
    {
        _toGuest = toGuest;
        _escape = new ConsoleEscape(onQuit);
    }

    /// <summary>Starts feeding stdin to <paramref name="toGuest"/>; <paramref name="onQuit"/> runs on Ctrl-A x.</summary>
    public static HostConsole Start(Action<ReadOnlySpan<byte>> toGuest, Action onQuit)
    {
        var console = new HostConsole(toGuest, onQuit);
        EnterRawMode();
        // A stdin closed before glue started is a file of the runtime's now (StandardStream): the guest gets no input.
        if (StandardStream.IsInherited(StandardStream.Stdin)) new Thread(console.Pump) { Name = "console-input", IsBackground = true }.Start();
        return console;
    }

    /// <summary>
    /// Reads fd 0 with read(2), not Console.OpenStandardInput: on a terminal .NET's console stream is a line editor
    /// of its own (it echoes each key, buffers up to Enter and sets its own termios over the raw mode set here), so
    /// the guest would get lines instead of keys and Ctrl-A x would never arrive as typed.
    /// </summary>
    private unsafe void Pump()
    {
        Sandbox.SeccompFilters.Enter(Sandbox.ThreadKind.DeviceIo);
        var buffer = new byte[256];
        var forward = new byte[512];
        while (true)
        {
            nint read;
            fixed (byte* b = buffer) read = Libc.Read(StandardStream.Stdin, b, (nuint)buffer.Length);
            if (read < 0 && Marshal.GetLastPInvokeError() == Libc.EINTR) continue;
            if (read <= 0) return;
            int count = _escape.Filter(buffer.AsSpan(0, (int)read), forward);
            if (count > 0) _toGuest(forward.AsSpan(0, count));
        }
    }

    private static unsafe void EnterRawMode()
    {
        lock (Gate)
        {
            if (_savedTermios is not null || Isatty(StandardStream.Stdin) != 1) return;
            var saved = new byte[TermiosSize];
            var raw = new byte[TermiosSize];
            fixed (byte* s = saved, r = raw)
            {
                if (Tcgetattr(StandardStream.Stdin, s) != 0) return;
                saved.CopyTo(raw, 0);
                Cfmakeraw(r);
                if (Tcsetattr(StandardStream.Stdin, TCSANOW, r) != 0) return;
            }
            _savedTermios = saved;
            AppDomain.CurrentDomain.ProcessExit += (_, _) => RestoreTerminal();
            AppDomain.CurrentDomain.UnhandledException += (_, _) => RestoreTerminal();
        }
    }

    /// <summary>Puts the terminal back as it was; safe to call more than once.</summary>
    public static unsafe void RestoreTerminal()
    {
        lock (Gate)
        {
            if (_savedTermios is null) return;
            fixed (byte* s = _savedTermios) Tcsetattr(StandardStream.Stdin, TCSANOW, s);
            _savedTermios = null;
        }
    }

    public void Dispose() => RestoreTerminal();

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int Isatty(int fd);

    [LibraryImport("libc", EntryPoint = "tcgetattr")]
    private static unsafe partial int Tcgetattr(int fd, byte* termios);

    [LibraryImport("libc", EntryPoint = "tcsetattr")]
    private static unsafe partial int Tcsetattr(int fd, int optionalActions, byte* termios);

    [LibraryImport("libc", EntryPoint = "cfmakeraw")]
    private static unsafe partial void Cfmakeraw(byte* termios);
}
