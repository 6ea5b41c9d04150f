namespace Glue.Devices.Fs.Fuse;

/// <summary>The numbers of include/uapi/linux/fuse.h Glue's server uses, with their names.</summary>
public static class FuseConstants
{
    public const uint FUSE_KERNEL_VERSION = 7;

    /// <summary>7.37 is what Linux 6.1 speaks; Glue answers INIT with the smaller of this and the guest's minor.</summary>
    public const uint FUSE_KERNEL_MINOR_VERSION = 37;

    /// <summary>The root's node id; it is never looked up and never forgotten.</summary>
    public const ulong FUSE_ROOT_ID = 1;

    // INIT flags (fuse_init_in/out.flags).
    public const uint FUSE_ASYNC_READ = 1u << 0;
    public const uint FUSE_ATOMIC_O_TRUNC = 1u << 3;
    public const uint FUSE_BIG_WRITES = 1u << 5;
    public const uint FUSE_DO_READDIRPLUS = 1u << 13;
    public const uint FUSE_READDIRPLUS_AUTO = 1u << 14;
    public const uint FUSE_PARALLEL_DIROPS = 1u << 18;
    public const uint FUSE_MAX_PAGES = 1u << 22;
    public const uint FUSE_CACHE_SYMLINKS = 1u << 23;
    public const uint FUSE_INIT_EXT = 1u << 30;

    // fuse_setattr_in.valid.
    public const uint FATTR_MODE = 1u << 0;
    public const uint FATTR_UID = 1u << 1;
    public const uint FATTR_GID = 1u << 2;
    public const uint FATTR_SIZE = 1u << 3;
    public const uint FATTR_ATIME = 1u << 4;
    public const uint FATTR_MTIME = 1u << 5;
    public const uint FATTR_FH = 1u << 6;
    public const uint FATTR_ATIME_NOW = 1u << 7;
    public const uint FATTR_MTIME_NOW = 1u << 8;

    // fuse_open_out.open_flags.
    public const uint FOPEN_DIRECT_IO = 1u << 0;
    public const uint FOPEN_KEEP_CACHE = 1u << 1;
    public const uint FOPEN_NOFLUSH = 1u << 5;

    /// <summary>fuse_fsync_in.fsync_flags: only the data (fdatasync).</summary>
    public const uint FUSE_FSYNC_FDATASYNC = 1u << 0;

    /// <summary>fuse_getattr_in.getattr_flags: fh names an open file.</summary>
    public const uint FUSE_GETATTR_FH = 1u << 0;

    /// <summary>FUSE_NAME_OFFSET: where a fuse_dirent's name starts.</summary>
    public const int FUSE_NAME_OFFSET = 24;

    /// <summary>The largest READ or WRITE Glue takes: FUSE_MAX_PAGES × 4 KiB.</summary>
    public const uint MaxWrite = 1u << 20;

    public const ushort MaxPages = (ushort)(MaxWrite / 4096);
}
