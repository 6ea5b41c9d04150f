using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Glue.Core.Interop;

namespace Glue.Fuzz.Targets;

/// <summary>
/// inotify(7) on a few host directories: every open, read, write, attribute change, new or removed name of them or
/// of a file in them is an event, so a test or target learns that code under test touched a file it must not touch.
/// </summary>
public sealed unsafe partial class HostWatch : IDisposable
{
    private const int IN_NONBLOCK = 0x800;
    private const int IN_CLOEXEC = 0x80000;

    /// <summary>IN_ALL_EVENTS (linux/inotify.h): access, modify, attrib, close, open, move, create, delete.</summary>
    private const uint IN_ALL_EVENTS = 0xfff;

    private const uint IN_ISDIR = 0x40000000;

    private readonly SafeFd _fd;
    private readonly Dictionary<int, string> _paths = [];
    private readonly byte[] _buffer = new byte[16384];

    public HostWatch(params string[] directories)
    {
        int fd = InotifyInit1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"inotify_init1: errno {Marshal.GetLastPInvokeError()}");
        _fd = new SafeFd(fd);
        foreach (string directory in directories)
        {
            int wd = InotifyAddWatch(fd, directory, IN_ALL_EVENTS);
            if (wd < 0) throw new InvalidOperationException($"inotify_add_watch {directory}: errno {Marshal.GetLastPInvokeError()}");
            _paths[wd] = directory;
        }
    }

    /// <summary>The events since the last call, each as "PATH MASK" (PATH the directory, or the file in it).</summary>
    public List<string> Drain()
    {
        var events = new List<string>();
        while (true)
        {
            nint got;
            fixed (byte* b = _buffer) got = Libc.Read(_fd.Fd, b, (nuint)_buffer.Length);
            if (got <= 0) return events;   // EAGAIN: nothing more
            // struct inotify_event: int wd, u32 mask, u32 cookie, u32 len, then len bytes of NUL-padded name.
            for (int at = 0; at + 16 <= got;)
            {
                var record = _buffer.AsSpan(at, (int)got - at);
                int wd = BinaryPrimitives.ReadInt32LittleEndian(record);
                uint mask = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
                int length = (int)BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
                var name = record.Slice(16, length);
                int nul = name.IndexOf((byte)0);
                if (nul >= 0) name = name[..nul];
                string path = _paths.GetValueOrDefault(wd, "?");
                events.Add($"{(name.IsEmpty ? path : Path.Combine(path, Encoding.UTF8.GetString(name)))} 0x{mask & ~IN_ISDIR:x}");
                at += 16 + length;
            }
        }
    }

    public void Dispose() => _fd.Dispose();

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInit1(int flags);   // -1 on failure

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatch(int fd, string path, uint mask);   // -1 on failure
}
