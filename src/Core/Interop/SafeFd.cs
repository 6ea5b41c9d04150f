using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Interop;

/// <summary>An owned file descriptor: closed once, when released (close is never retried on EINTR).</summary>
public sealed class SafeFd : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeFd(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
