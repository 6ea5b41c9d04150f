using System.Runtime.InteropServices;

#pragma warning disable IDE1006 // the kernel's field names, so each struct reads as include/uapi/linux/fuse.h does
namespace Glue.Devices.Fs.Fuse;

// The request and reply structs of include/uapi/linux/fuse.h (protocol 7.37), little-endian as the guest writes them.
// Sizes are checked against the header in FuseStructTests.

[StructLayout(LayoutKind.Sequential)]
public struct fuse_in_header
{
    public uint len;
    public uint opcode;
    public ulong unique;
    public ulong nodeid;
    public uint uid;
    public uint gid;
    public uint pid;
    public ushort total_extlen;
    public ushort padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_out_header
{
    public uint len;
    public int error;
    public ulong unique;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr
{
    public ulong ino;
    public ulong size;
    public ulong blocks;
    public ulong atime;
    public ulong mtime;
    public ulong ctime;
    public uint atimensec;
    public uint mtimensec;
    public uint ctimensec;
    public uint mode;
    public uint nlink;
    public uint uid;
    public uint gid;
    public uint rdev;
    public uint blksize;
    public uint flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_entry_out
{
    public ulong nodeid;
    public ulong generation;
    public ulong entry_valid;
    public ulong attr_valid;
    public uint entry_valid_nsec;
    public uint attr_valid_nsec;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_attr_out
{
    public ulong attr_valid;
    public uint attr_valid_nsec;
    public uint dummy;
    public fuse_attr attr;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_init_in
{
    public uint major;
    public uint minor;
    public uint max_readahead;
    public uint flags;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_init_out
{
    public uint major;
    public uint minor;
    public uint max_readahead;
    public uint flags;
    public ushort max_background;
    public ushort congestion_threshold;
    public uint max_write;
    public uint time_gran;
    public ushort max_pages;
    public ushort map_alignment;
    public uint flags2;
    public fixed uint unused[7];
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_forget_in
{
    public ulong nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_forget_one
{
    public ulong nodeid;
    public ulong nlookup;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_batch_forget_in
{
    public uint count;
    public uint dummy;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_getattr_in
{
    public uint getattr_flags;
    public uint dummy;
    public ulong fh;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_setattr_in
{
    public uint valid;
    public uint padding;
    public ulong fh;
    public ulong size;
    public ulong lock_owner;
    public ulong atime;
    public ulong mtime;
    public ulong ctime;
    public uint atimensec;
    public uint mtimensec;
    public uint ctimensec;
    public uint mode;
    public uint unused4;
    public uint uid;
    public uint gid;
    public uint unused5;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_open_in
{
    public uint flags;
    public uint open_flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_create_in
{
    public uint flags;
    public uint mode;
    public uint umask;
    public uint open_flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_open_out
{
    public ulong fh;
    public uint open_flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_release_in
{
    public ulong fh;
    public uint flags;
    public uint release_flags;
    public ulong lock_owner;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_flush_in
{
    public ulong fh;
    public uint unused;
    public uint padding;
    public ulong lock_owner;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_read_in
{
    public ulong fh;
    public ulong offset;
    public uint size;
    public uint read_flags;
    public ulong lock_owner;
    public uint flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_write_in
{
    public ulong fh;
    public ulong offset;
    public uint size;
    public uint write_flags;
    public ulong lock_owner;
    public uint flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_write_out
{
    public uint size;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct fuse_kstatfs
{
    public ulong blocks;
    public ulong bfree;
    public ulong bavail;
    public ulong files;
    public ulong ffree;
    public uint bsize;
    public uint namelen;
    public uint frsize;
    public uint padding;
    public fixed uint spare[6];
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_fsync_in
{
    public ulong fh;
    public uint fsync_flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_mknod_in
{
    public uint mode;
    public uint rdev;
    public uint umask;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_mkdir_in
{
    public uint mode;
    public uint umask;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_rename_in
{
    public ulong newdir;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_rename2_in
{
    public ulong newdir;
    public uint flags;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_link_in
{
    public ulong oldnodeid;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_access_in
{
    public uint mask;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_fallocate_in
{
    public ulong fh;
    public ulong offset;
    public ulong length;
    public uint mode;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lseek_in
{
    public ulong fh;
    public ulong offset;
    public uint whence;
    public uint padding;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_lseek_out
{
    public ulong offset;
}

[StructLayout(LayoutKind.Sequential)]
public struct fuse_copy_file_range_in
{
    public ulong fh_in;
    public ulong off_in;
    public ulong nodeid_out;
    public ulong fh_out;
    public ulong off_out;
    public ulong len;
    public ulong flags;
}

/// <summary>struct fuse_dirent without its name: the name follows, padded to 8 bytes (FUSE_DIRENT_ALIGN).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct fuse_dirent
{
    public ulong ino;
    public ulong off;
    public uint namelen;
    public uint type;
}
