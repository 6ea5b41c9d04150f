using static Glue.Devices.Fs.Fuse.FuseConstants;

namespace Glue.Devices.Fs.Fuse;

/// <summary>
/// What the guest may cache of a share (`--fs ...,cache=`), virtiofsd's four modes by their names. The guest keeps
/// names and attributes for <see cref="FsCacheReplies.ValidSeconds"/>; file data goes through its page cache unless
/// the open says FOPEN_DIRECT_IO, and survives a reopen only with FOPEN_KEEP_CACHE.
/// </summary>
public enum FsCache
{
    /// <summary>
    /// Nothing: every lookup and stat asks glue, and reads and writes go straight between the caller's buffers and
    /// the host file, one request per call up to 1 MiB (no copy through the guest's page cache, no readahead).
    /// A shared writable mmap of a file is then refused by the guest (ENODEV), as under virtiofsd's cache=never.
    /// </summary>
    Never,

    /// <summary>
    /// Names and attributes for a day, file data never: reads and writes go straight to the host file as with
    /// <see cref="Never"/>, while lookups and stats are answered in the guest: for a share only the guest changes
    /// and whose files are read and written in large blocks (no readahead window of 128 KiB between them and glue).
    /// </summary>
    Metadata,

    /// <summary>Names and attributes for 1 s; data in the page cache, dropped at each open: a host change shows within a second, its data on the next open.</summary>
    Auto,

    /// <summary>Names and attributes for a day, data kept across opens: for a share only the guest changes.</summary>
    Always,
}

/// <summary>How each <see cref="FsCache"/> mode is told to the guest.</summary>
internal static class FsCacheReplies
{
    public static ulong ValidSeconds(this FsCache cache) => cache switch
    {
        FsCache.Never => 0,
        FsCache.Auto => 1,
        _ => 86400,
    };

    /// <summary>
    /// fuse_open_out.open_flags for a file. Always FOPEN_NOFLUSH (Linux 5.16 on): glue's FLUSH only checks its handle,
    /// as glue keeps no locks and holds no data back, so the guest's close() need not send one.
    /// </summary>
    public static uint OpenFlags(this FsCache cache) => FOPEN_NOFLUSH | cache switch
    {
        FsCache.Never or FsCache.Metadata => FOPEN_DIRECT_IO,
        FsCache.Auto => 0,
        _ => FOPEN_KEEP_CACHE,
    };
}
