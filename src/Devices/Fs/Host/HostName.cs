namespace Glue.Devices.Fs.Host;

/// <summary>
/// One name inside a directory as the guest sends it, checked and NUL-terminated for the host's *at calls. A name is
/// one path component: empty, ".", "..", or holding '/' or NUL is refused with EINVAL (a LOOKUP of ".." would leave
/// the share at its root), longer than NAME_MAX with ENAMETOOLONG.
/// </summary>
internal static class HostName
{
    /// <summary>NAME_MAX (linux/limits.h).</summary>
    public const int NAME_MAX = 255;

    /// <summary>The buffer a name needs: the name and its NUL.</summary>
    public const int BufferSize = NAME_MAX + 1;

    /// <summary>Checks <paramref name="name"/> and copies it, NUL-terminated, into <paramref name="buffer"/>; 0 or the errno.</summary>
    public static int Copy(ReadOnlySpan<byte> name, Span<byte> buffer)
    {
        if (name.Length > NAME_MAX) return Errno.ENAMETOOLONG;
        if (name.IsEmpty || name.IndexOfAny((byte)'/', (byte)0) >= 0) return Errno.EINVAL;
        if (name is [(byte)'.'] or [(byte)'.', (byte)'.']) return Errno.EINVAL;
        name.CopyTo(buffer);
        buffer[name.Length] = 0;
        return 0;
    }
}
