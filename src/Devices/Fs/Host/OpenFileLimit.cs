using System.Runtime.InteropServices;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// RLIMIT_NOFILE, which bounds every share's fds together with glue's own: its soft limit is raised to the hard one
/// (as virtiofsd does), and a share's max-fds is held below it.
/// </summary>
internal static unsafe partial class OpenFileLimit
{
    private const int RLIMIT_NOFILE = 7;

    /// <summary>The fds kept for glue itself (KVM, eventfds, sockets, disks) however many the shares may hold.</summary>
    public const int Reserved = 256;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong rlim_cur;
        public ulong rlim_max;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, RLimit* limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRlimit(int resource, RLimit* limit);

    /// <summary>Raises the soft limit as far as it goes and returns how many fds the shares may hold in all.</summary>
    public static int ForShares()
    {
        RLimit limit;
        if (GetRlimit(RLIMIT_NOFILE, &limit) != 0) return Reserved;
        if (limit.rlim_cur < limit.rlim_max)
        {
            var raised = limit with { rlim_cur = limit.rlim_max };
            if (SetRlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
        }
        return (int)Math.Clamp((long)Math.Min(limit.rlim_cur, int.MaxValue) - Reserved, Reserved, int.MaxValue);
    }
}
