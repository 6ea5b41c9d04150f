using Glue.Core.Interop;

namespace Glue.Devices.Fs.Host;

/// <summary>
/// A host fd held for the length of one request: the table that owns it may forget it meanwhile (a FORGET or RELEASE
/// on another thread), and the fd is then closed when the lease ends rather than under the request.
/// </summary>
internal readonly struct FdLease : IDisposable
{
    private readonly SafeFd? _fd;

    /// <summary>Takes a reference on <paramref name="fd"/>; the caller holds the lock under which it cannot be closed.</summary>
    public FdLease(SafeFd fd)
    {
        bool added = false;
        fd.DangerousAddRef(ref added);
        _fd = fd;
    }

    public int Fd => _fd?.Fd ?? -1;

    public void Dispose() => _fd?.DangerousRelease();
}
