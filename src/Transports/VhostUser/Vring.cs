using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Virtio.Events;

namespace Glue.Transports.VhostUser;

/// <summary>
/// One ring as the frontend configured it (SET_VRING_NUM/ADDR/BASE), its eventfds, and its state in the
/// spec's terms: stopped until its kick fd arrives, then started; enabled by SET_VRING_ENABLE (or from the
/// start when VHOST_USER_F_PROTOCOL_FEATURES was not negotiated). The device sees the ring only while it is both.
/// </summary>
internal sealed unsafe class Vring(ushort maxSize)
{
    public ushort MaxSize { get; } = maxSize;
    public ushort Size { get; set; } = maxSize;
    public bool HasAddresses { get; set; }
    public ulong DescUser { get; set; }
    public ulong AvailUser { get; set; }
    public ulong UsedUser { get; set; }

    /// <summary>The next avail index to take: SET_VRING_BASE's number, and where the ring stood when it last stopped.</summary>
    public ushort Base { get; set; }

    public SafeFd? Kick { get; set; }
    public EventRegistration? KickWatch { get; set; }
    public SafeFd? Call { get; set; }
    public SafeFd? Err { get; set; }

    public bool Started { get; set; }
    public bool Enabled { get; set; }
    public bool Running => Started && Enabled;

    public void ReplaceKick(SafeFd? fd, EventRegistration? watch)
    {
        KickWatch?.Dispose();
        Kick?.Dispose();
        Kick = fd;
        KickWatch = watch;
    }

    public void ReplaceCall(SafeFd? fd)
    {
        Call?.Dispose();
        Call = fd;
    }

    public void ReplaceErr(SafeFd? fd)
    {
        Err?.Dispose();
        Err = fd;
    }

    /// <summary>A used buffer notification: the call eventfd, when the frontend gave one.</summary>
    public void SignalCall() => Signal(Call);

    /// <summary>The ring broke or the device failed: the err eventfd, when the frontend gave one.</summary>
    public void SignalErr() => Signal(Err);

    /// <summary>Clears the kick eventfd; false when the fd is at its end or broken rather than just drained.</summary>
    public bool DrainKick()
    {
        if (Kick is null) return false;
        ulong count;
        nint n = Libc.Read(Kick.Fd, &count, sizeof(ulong));
        return n > 0 || n < 0 && Marshal.GetLastPInvokeError() == Libc.EAGAIN;
    }

    /// <summary>
    /// A device may signal from a thread of its own (blk completes on its I/O workers) while SET_VRING_CALL replaces
    /// the fd on the I/O thread: the handle is referenced for the write, so its number cannot be closed and reused
    /// meanwhile, and a handle already closed is skipped (the new fd gets the next signal).
    /// </summary>
    private static void Signal(SafeFd? fd)
    {
        if (fd is null) return;
        bool referenced = false;
        try
        {
            fd.DangerousAddRef(ref referenced);
            ulong one = 1;
            // EAGAIN: the counter is full, so the frontend is woken already. A call fd that is not an eventfd is the
            // frontend's problem; nothing here depends on the write.
            Libc.Write(fd.Fd, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (referenced) fd.DangerousRelease();
        }
    }

    /// <summary>Back to what a new connection finds: stopped, disabled, no fds, nothing configured.</summary>
    public void Clear()
    {
        ReplaceKick(null, null);
        ReplaceCall(null);
        ReplaceErr(null);
        Size = MaxSize;
        HasAddresses = false;
        DescUser = AvailUser = UsedUser = 0;
        Base = 0;
        Started = false;
        Enabled = false;
    }
}
