using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Glue.Core.Interop;
using Glue.Devices.Fs.Host;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A shared directory for a hostile guest, beside the host files it must never reach: ROOT/share (the share: a file,
/// a directory, and symlinks pointing out, relative, absolute and up the tree) and ROOT/outside (a file and a
/// directory standing for the rest of the host). <see cref="Restore"/> puts the share back as it was before each
/// input; <see cref="CheckConfined"/> finds any trace of the code under test outside it: an inotify event on the
/// outside files or on ROOT (a new name beside the share among them), a changed status (size, times, mode, link
/// count) of an outside file, or an fd of this process open on something under ROOT but not in the share. In the temporary
/// directory on disk (not /dev/shm), where a guest's large FALLOCATE costs no memory; removed when the process ends.
/// </summary>
internal sealed class ScratchShare
{
    /// <summary>d_type of a directory (dirent.h).</summary>
    private const byte DT_DIR = 4;

    private readonly string _root;
    private readonly string _outside;
    private readonly HostWatch _watch;
    private readonly string[] _outsidePaths;
    private readonly Dictionary<string, string> _outsideStatus;

    public ScratchShare(string name)
    {
        _root = Directory.CreateTempSubdirectory($"glue-fuzz-{name}-").FullName;
        Share = Path.Combine(_root, "share");
        _outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(Path.Combine(_outside, "dir"));
        File.WriteAllText(Path.Combine(_outside, "secret"), "the host's own file");
        File.WriteAllText(Path.Combine(_outside, "dir", "inner"), "another host file");
        _outsidePaths = [_outside, Path.Combine(_outside, "secret"), Path.Combine(_outside, "dir"), Path.Combine(_outside, "dir", "inner")];
        Directory.CreateDirectory(Share);
        _watch = new HostWatch(_root, _outside, Path.Combine(_outside, "dir"));
        Restore();
        _outsideStatus = OutsideStatus();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Restore();
            Directory.Delete(_root, recursive: true);
        };
    }

    public string Share { get; }

    /// <summary>Empties the share and makes its starting files again, whatever modes and names the last input left.</summary>
    public void Restore()
    {
        File.SetUnixFileMode(Share, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        RemoveContents(Libc.Open(Share, Libc.O_RDONLY | HostCalls.O_DIRECTORY | Libc.O_CLOEXEC));
        File.WriteAllText(Path.Combine(Share, "f"), "a file in the share, for reading and writing");
        Directory.CreateDirectory(Path.Combine(Share, "d"));
        File.WriteAllText(Path.Combine(Share, "d", "g"), "a file in a directory of the share");
        File.CreateSymbolicLink(Path.Combine(Share, "out"), "../outside");
        File.CreateSymbolicLink(Path.Combine(Share, "abs"), Path.Combine(_outside, "secret"));
        File.CreateSymbolicLink(Path.Combine(Share, "up"), "../../../../../../../..");
        _watch.Drain();   // the share's own events, seen from ROOT as events on "share"
    }

    /// <summary>Throws <see cref="FuzzInvariantException"/> at the first trace of a host file outside the share being touched.</summary>
    public void CheckConfined()
    {
        var events = _watch.Drain().Where(e => !e.StartsWith(Share + " ", StringComparison.Ordinal)).ToList();
        if (events.Count > 0) throw new FuzzInvariantException($"a host file outside the share was touched: {string.Join(", ", events)}");
        foreach (var (path, status) in OutsideStatus())
        {
            if (_outsideStatus.GetValueOrDefault(path) != status) throw new FuzzInvariantException($"{path} changed: {status}");
        }
        foreach (var fd in new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos())
        {
            string? target = fd.LinkTarget;
            if (target is null || !target.StartsWith(_root, StringComparison.Ordinal)) continue;
            if (target != Share && !target.StartsWith(Share + "/", StringComparison.Ordinal))
                throw new FuzzInvariantException($"fd {fd.Name} is open on {target}, outside the share");
        }
    }

    /// <summary>Each outside file's status as text, from lstat alone: listing a directory would be an event of its own.</summary>
    private unsafe Dictionary<string, string> OutsideStatus()
    {
        var status = new Dictionary<string, string>();
        foreach (string path in _outsidePaths)
        {
            HostCalls.Stat s;
            var z = Encoding.UTF8.GetBytes(path + "\0");
            fixed (byte* p = z)
            {
                if (HostCalls.FstatAt(HostCalls.AT_FDCWD, p, &s, HostCalls.AT_SYMLINK_NOFOLLOW) < 0) status[path] = "gone";
                else status[path] = $"inode {s.st_ino} mode {s.st_mode:x} links {s.st_nlink} size {s.st_size} "
                    + $"atime {s.st_atime}.{s.st_atime_nsec} mtime {s.st_mtime}.{s.st_mtime_nsec} ctime {s.st_ctime}.{s.st_ctime_nsec}";
            }
        }
        return status;
    }

    /// <summary>
    /// Removes everything in the directory <paramref name="dir"/> (an fd it closes), by the names' bytes: a guest's
    /// names need not be UTF-8, and its directories may have any mode.
    /// </summary>
    private static unsafe void RemoveContents(int dir)
    {
        if (dir < 0) throw new FuzzInvariantException($"a scratch directory cannot be opened: errno {Marshal.GetLastPInvokeError()}");
        var buffer = new byte[16384];
        fixed (byte* b = buffer)
        {
            nint got;
            while ((got = HostCalls.Getdents64(dir, b, (nuint)buffer.Length)) > 0)
            {
                // struct linux_dirent64: d_ino, d_off, d_reclen (u16 at 16), d_type (at 18), the NUL-terminated name.
                for (int at = 0; at < got; at += BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(at + 16)))
                {
                    byte* name = b + at + 19;
                    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
                    if (b[at + 18] == DT_DIR)
                    {
                        HostCalls.FchmodAt(dir, name, 0x1c0 /* 0700 */, 0);
                        RemoveContents(HostCalls.OpenAt(dir, name, Libc.O_RDONLY | HostCalls.O_DIRECTORY | HostCalls.O_NOFOLLOW | Libc.O_CLOEXEC, 0));
                    }
                    if (HostCalls.UnlinkAt(dir, name, b[at + 18] == DT_DIR ? HostCalls.AT_REMOVEDIR : 0) < 0)
                        throw new FuzzInvariantException($"a scratch file cannot be removed: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
        Libc.Close(dir);
    }
}
