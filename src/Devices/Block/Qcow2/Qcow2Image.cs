using System.Buffers;
using System.Buffers.Binary;
using Glue.Core.Interop;
using static Glue.Devices.Block.Qcow2.ClusterMap;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// A qcow2 image (QEMU docs/interop/qcow2.txt, versions 2 and 3) as a disk: reads through the L1/L2 map (zero
/// clusters, compressed clusters, and the backing file for what is unallocated); writes in place to clusters
/// it owns and to newly allocated clusters otherwise (copying up the rest of the cluster); discard and
/// write-zeroes through the map. docs/qcow2.md says what is supported and the order metadata reaches the file
/// in, which keeps the image consistent if the process is killed at any point.
///
/// Concurrency: one metadata lock guards the map, the refcounts and allocation; the data of clusters already
/// allocated moves outside it, under a shared gate that only the release of freed clusters (at a flush) takes
/// exclusively, so a read never lands in a cluster that was freed and handed out again meanwhile.
/// </summary>
public sealed partial class Qcow2Image : IDiskImage
{
    private const int EIO = 5, EROFS = 30, ScratchBuffers = 64;

    private readonly HostFile _file;
    private readonly string _path;
    private readonly Qcow2Header _header;
    private readonly MetadataClusters _metadata = new();
    private readonly ClusterMap _map;
    private readonly Refcounts _refcounts;
    private readonly object _lock = new();
    private readonly ReaderWriterLockSlim _gate = new();
    private readonly int _clusterBits;
    private readonly long _clusterMask;
    private readonly byte[] _zeroes;
    private IDiskImage? _backing;
    private List<ulong> _freed = [];    // entries whose clusters are released at the next flush
    private List<ulong> _releasing = [];
    private bool _broken;
    private long _fileEnd;   // the file's length when last looked up (InsideFile)

    private Qcow2Image(HostFile file, Qcow2Header header, string path, bool readOnly)
    {
        _file = file;
        _header = header;
        _path = path;
        ReadOnly = readOnly;
        _clusterBits = header.ClusterBits;
        _clusterMask = header.ClusterSize - 1;
        _zeroes = GC.AllocateArray<byte>((int)header.ClusterSize, pinned: true);
        _metadata.Add(0);   // the header
        _refcounts = new Refcounts(file, header, _metadata, path);
        _map = new ClusterMap(file, header, _metadata, path);
        // An L2 table reaches the file only after the data and refcounts of the clusters it maps.
        _map.BeforeL2Write = WriteRefcountsAndSync;
    }

    public long Length => _header.Size;

    public bool ReadOnly { get; }

    /// <summary>
    /// Opens a qcow2 image; throws <see cref="DiskImageError"/> for anything refused. <paramref name="formatNamed"/>
    /// false (the format was probed, not given by the user) refuses an image with a backing file: a guest that
    /// wrote a qcow2 header into a raw disk must not make the host open another file.
    /// </summary>
    public static Qcow2Image Open(string path, bool readOnly, bool formatNamed)
    {
        var chain = new BackingChain(path);
        var file = ImageFile.Open(path, readOnly, path);
        try
        {
            return Open(file, path, path, readOnly, formatNamed, chain);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>A backing file of the chain, read-only; on success the image owns <paramref name="file"/>.</summary>
    internal static Qcow2Image OpenBacking(HostFile file, string path, string role, bool formatNamed, BackingChain chain) =>
        Open(file, path, role, readOnly: true, formatNamed, chain);

    private static Qcow2Image Open(HostFile file, string path, string role, bool readOnly, bool formatNamed, BackingChain chain)
    {
        var header = Qcow2Header.Read(file, role);
        if (!readOnly) RefuseWrites(header, role);
        if (header.BackingFile is { } backing && !formatNamed)
            throw new DiskImageError($"{role}: is a qcow2 image with a backing file ({backing}), which Glue opens only when the format is named: give the disk format=qcow2 (and check that the image is yours)");
        var image = new Qcow2Image(file, header, path, readOnly);
        try
        {
            if (header.BackingFile is not null) image._backing = chain.Open(path, header);
            if (!readOnly) image.PrepareForWrites();
            return image;
        }
        catch
        {
            image._backing?.Dispose();
            throw;
        }
    }

    private static void RefuseWrites(Qcow2Header header, string role)
    {
        string repair = $"repair it with qemu-img check -r all {role}, or open it read-only (,ro)";
        if (header.Corrupt) throw new DiskImageError($"{role}: is marked corrupt; {repair}");
        if (header.Dirty) throw new DiskImageError($"{role}: was not closed cleanly (its refcounts may be stale: the dirty bit is set); {repair}");
        if (header.Snapshots > 0)
            throw new DiskImageError($"{role}: has {header.Snapshots} internal snapshot(s); Glue writes only images without them (qemu-img snapshot -l lists them), or open it read-only (,ro)");
    }

    /// <summary>
    /// Clears the autoclear features (Glue keeps no bitmaps up to date) and, with lazy_refcounts, sets the dirty
    /// bit while the image is open, as qcow2.txt asks; the header is synced before any guest write.
    /// </summary>
    private void PrepareForWrites()
    {
        if (_header.Version < 3) return;
        Span<byte> field = stackalloc byte[8];
        int error = 0;
        if (_header.AutoclearFeatures != 0)
        {
            BinaryPrimitives.WriteUInt64BigEndian(field, 0);
            error = _file.Write(field, Qcow2Header.AutoclearFeaturesField);
        }
        if (error == 0 && _header.LazyRefcounts) error = WriteIncompatibleFeatures(_header.IncompatibleFeatures | Qcow2Header.QCOW2_INCOMPAT_DIRTY);
        if (error == 0) error = _file.Sync();
        if (error != 0) throw new DiskImageError($"{_path}: its header cannot be updated ({Libc.ErrorText(-error).ToLowerInvariant()})");
    }

    private int WriteIncompatibleFeatures(ulong features)
    {
        Span<byte> field = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(field, features);
        return _file.Write(field, Qcow2Header.IncompatibleFeaturesField);
    }

    public int Read(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        long total = IoVecs.Length(buffers);
        if (!Inside(offset, total)) return -EIO;
        Libc.IoVec[]? rented = null;
        Span<Libc.IoVec> scratch = buffers.Length <= ScratchBuffers ? stackalloc Libc.IoVec[ScratchBuffers] : (rented = ArrayPool<Libc.IoVec>.Shared.Rent(buffers.Length));
        _gate.EnterReadLock();
        try
        {
            return ReadExtents(buffers, offset, total, scratch, cachedOnly: false, out _);
        }
        finally
        {
            _gate.ExitReadLock();
            if (rented is not null) ArrayPool<Libc.IoVec>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The read on the I/O thread, as far as nothing need wait: the locks free, the L2 tables cached, and the data
    /// clusters in the page cache (zero clusters are filled here). It stops at anything else, a backing file or a
    /// compressed cluster among it, and a worker reads the rest with <see cref="Read"/>: the bytes read are returned.
    /// </summary>
    public long ReadCached(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        long total = IoVecs.Length(buffers);
        if (!Inside(offset, total) || buffers.Length > ScratchBuffers || !_gate.TryEnterReadLock(0)) return 0;
        try
        {
            ReadExtents(buffers, offset, total, stackalloc Libc.IoVec[ScratchBuffers], cachedOnly: true, out long done);
            return done;
        }
        finally
        {
            _gate.ExitReadLock();
        }
    }

    /// <summary>
    /// Under the gate: the read, extent by extent, <paramref name="done"/> bytes of it from the front.
    /// <paramref name="cachedOnly"/>: never waits (the metadata lock only if free, the L2 tables only cached, the data
    /// only from the page cache) and serves no backing file or compressed cluster; it stops with -EAGAIN at any of
    /// those, and the caller gives the rest to a worker.
    /// </summary>
    private int ReadExtents(ReadOnlySpan<Libc.IoVec> buffers, long offset, long total, Span<Libc.IoVec> scratch, bool cachedOnly, out long done)
    {
        for (done = 0; done < total;)
        {
            if (!cachedOnly) Monitor.Enter(_lock);
            else if (!Monitor.TryEnter(_lock)) return -Libc.EAGAIN;
            Extent extent;
            int error;
            try
            {
                error = MapForRead(offset + done, total - done, out extent, cachedOnly);
            }
            finally
            {
                Monitor.Exit(_lock);
            }
            if (error != 0) return error;
            var part = IoVecs.Slice(buffers, done, extent.Bytes, scratch);
            if (cachedOnly && extent.Kind == ExtentKind.Data)
            {
                long got = _file.ReadCached(part, extent.Host);
                done += got;
                if (got < extent.Bytes) return -Libc.EAGAIN;
                continue;
            }
            error = extent.Kind switch
            {
                ExtentKind.Data => _file.ReadV(part, extent.Host),
                ExtentKind.Backing or ExtentKind.Compressed when cachedOnly => -Libc.EAGAIN,
                ExtentKind.Backing => ReadBacking(part, offset + done, extent.Bytes),
                ExtentKind.Compressed => ReadCompressed(part, extent.Host, offset + done),
                _ => Zero(part),
            };
            if (error != 0) return error;
            done += extent.Bytes;
        }
        return 0;
    }

    public int Write(ReadOnlySpan<Libc.IoVec> buffers, long offset)
    {
        if (ReadOnly) return -EROFS;
        long total = IoVecs.Length(buffers);
        if (!Inside(offset, total)) return -EIO;
        Libc.IoVec[]? rented = null;
        Span<Libc.IoVec> scratch = buffers.Length <= ScratchBuffers ? stackalloc Libc.IoVec[ScratchBuffers] : (rented = ArrayPool<Libc.IoVec>.Shared.Rent(buffers.Length));
        _gate.EnterReadLock();
        try
        {
            for (long done = 0; done < total;)
            {
                Extent extent;
                int error;
                lock (_lock) error = MapForWrite(offset + done, total - done, buffers, done, scratch, out extent);
                if (error == 0 && extent.Kind == ExtentKind.Data) error = _file.WriteV(IoVecs.Slice(buffers, done, extent.Bytes, scratch), extent.Host);
                if (error != 0) return error;
                done += extent.Bytes;
            }
            return 0;
        }
        finally
        {
            _gate.ExitReadLock();
            if (rented is not null) ArrayPool<Libc.IoVec>.Shared.Return(rented);
        }
    }

    private bool Inside(long offset, long bytes) => offset >= 0 && bytes >= 0 && offset <= Length - bytes;

    private static int Zero(ReadOnlySpan<Libc.IoVec> part)
    {
        IoVecs.Zero(part);
        return 0;
    }

    public void Dispose()
    {
        if (_file.Handle.IsClosed) return;
        if (!ReadOnly && Flush() == 0 && _header.LazyRefcounts && _header.Version >= 3 && !_broken)
        {
            if (WriteIncompatibleFeatures(_header.IncompatibleFeatures & ~Qcow2Header.QCOW2_INCOMPAT_DIRTY) == 0) _file.Sync();
        }
        _backing?.Dispose();
        _file.Dispose();
        _gate.Dispose();
    }
}
