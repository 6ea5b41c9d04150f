using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Glue.Core.Interop;
using Glue.Core.Pci;
using Glue.Core.Snapshot;
using Glue.Virtio;
using Glue.Virtio.Split;
using static Glue.Devices.Block.VirtioBlk;

namespace Glue.Devices.Block;

/// <summary>
/// The block device (virtio 1.2 §5.2) over a disk image: IN, OUT, FLUSH, GET_ID, DISCARD and WRITE_ZEROES, with
/// many requests in flight. The I/O thread pops each chain, copies its header and turns its buffers into host
/// addresses (<see cref="BlockRequest"/>), and hands it to the disk's workers (<see cref="BlockWorkers"/>), which
/// serve it with one call on the image and complete it as it finishes, in any order (<see cref="BlockQueue"/>).
/// A request alone (nothing else in flight on its queue) is served on the I/O thread itself: at queue depth 1
/// there is no hand-off at all. Nothing is allocated per request.
///
/// A read-only disk fails OUT, DISCARD and WRITE_ZEROES with IOERR. The device owns its image: disposing it (when
/// the VM ends) waits for the requests in flight, then flushes and closes the image, so nothing the guest wrote is lost.
/// </summary>
public sealed unsafe class BlockDevice : IVirtioDevice, ISnapshotPart, IDisposable
{
    public const ushort QueueSize = 256;

    /// <summary>§2.7.5.3.1: a chain has at most queue-size buffers; less the header and the status byte.</summary>
    public const uint SegMax = QueueSize - 2;

    /// <summary>One range per DISCARD or WRITE_ZEROES request, as QEMU offers: Linux then sends one range each.</summary>
    public const uint MaxRanges = 1;

    /// <summary>The largest range, in sectors: 1 GiB, a bound on how long one request holds a worker.</summary>
    public const uint MaxRangeSectors = (1u << 30) / SectorSize;

    /// <summary>Discard granularity: a file system block, the smallest hole a punch can make.</summary>
    public const uint DiscardAlignmentBytes = 4096;

    /// <summary>
    /// How long the I/O thread polls an empty ring, by default, before it asks the driver to notify again. A
    /// notification is a VM exit and a thread wake-up, and a driver at low queue depth adds its next request a few
    /// microseconds after it saw the last one complete; QEMU's iothreads poll up to 32 µs (poll-max-ns) for the same reason.
    /// </summary>
    public static readonly TimeSpan DefaultPollWindow = TimeSpan.FromMicroseconds(32);

    private readonly IDiskImage _image;
    private readonly uint _blockSize;
    private readonly byte[] _id = new byte[VIRTIO_BLK_ID_BYTES];
    private readonly BlockQueue[] _queues;
    private readonly BlockWorkers? _workers;
    private readonly long _pollWindow;   // Stopwatch ticks
    private VirtioActivation? _activation;

    /// <param name="image">The disk; the device owns it.</param>
    /// <param name="id">What GET_ID returns: at most 20 bytes of ASCII, zero-padded.</param>
    /// <param name="blockSize">The block size offered (VIRTIO_BLK_F_BLK_SIZE): what O_DIRECT needs of offsets, else 512.</param>
    /// <param name="queues">Request queues (VIRTIO_BLK_F_MQ when more than one).</param>
    /// <param name="workers">Threads that serve requests; 0 serves each on the I/O thread as it is popped (the fuzzer's way).</param>
    /// <param name="pollWindow">How long an empty ring is polled (<see cref="DefaultPollWindow"/>); zero asks for a notification at once.</param>
    public BlockDevice(IDiskImage image, string id, uint blockSize = SectorSize, int queues = 1, int? workers = null, TimeSpan? pollWindow = null)
    {
        if (image.Length % SectorSize != 0) throw new ArgumentException("the size must be a multiple of 512", nameof(image));
        ArgumentOutOfRangeException.ThrowIfLessThan(queues, 1);
        _image = image;
        Sectors = (ulong)image.Length / SectorSize;
        _blockSize = blockSize;
        _pollWindow = (long)((pollWindow ?? DefaultPollWindow).TotalSeconds * Stopwatch.Frequency);
        Encoding.ASCII.GetBytes(id.AsSpan(0, Math.Min(id.Length, VIRTIO_BLK_ID_BYTES)), _id);
        int threads = workers ?? BlockWorkers.DefaultCount;
        _queues = Enumerable.Range(0, queues).Select(i => new BlockQueue(i, QueueSize)).ToArray();
        // Room for every request that can be in flight: a ring's worth per queue, plus one per worker (BlockQueue.Take).
        if (threads > 0) _workers = new BlockWorkers("blk-io", threads, queues * (QueueSize + threads + 1), Serve);
        Features = VirtioFeatures.Bit(VIRTIO_BLK_F_SEG_MAX) | VirtioFeatures.Bit(VIRTIO_BLK_F_BLK_SIZE) | VirtioFeatures.Bit(VIRTIO_BLK_F_FLUSH)
            | (ReadOnly ? VirtioFeatures.Bit(VIRTIO_BLK_F_RO) : VirtioFeatures.Bit(VIRTIO_BLK_F_DISCARD) | VirtioFeatures.Bit(VIRTIO_BLK_F_WRITE_ZEROES))
            | (queues > 1 ? VirtioFeatures.Bit(VIRTIO_BLK_F_MQ) : 0);
        QueueMaxSizes = Enumerable.Repeat(QueueSize, queues).ToArray();
    }

    public bool ReadOnly => _image.ReadOnly;

    public ulong Sectors { get; }

    public uint DeviceId => VirtioIds.VIRTIO_ID_BLOCK;

    public string Name => "blk";

    public uint PciClass => PciClassCodes.PCI_CLASS_STORAGE_OTHER;

    public ulong Features { get; }

    public IReadOnlyList<ushort> QueueMaxSizes { get; }

    public int ConfigSize => VirtioBlk.ConfigSize;

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[VirtioBlk.ConfigSize];
        config.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(config[ConfigCapacity..], Sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigSegMax..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigBlkSize..], _blockSize);
        BinaryPrimitives.WriteUInt16LittleEndian(config[ConfigNumQueues..], (ushort)_queues.Length);
        if (!ReadOnly)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigMaxDiscardSectors..], MaxRangeSectors);
            BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigMaxDiscardSeg..], MaxRanges);
            BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigDiscardSectorAlignment..], Math.Max(DiscardAlignmentBytes, _blockSize) / SectorSize);
            BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigMaxWriteZeroesSectors..], MaxRangeSectors);
            BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigMaxWriteZeroesSeg..], MaxRanges);
            config[ConfigWriteZeroesMayUnmap] = 1;
        }
        config.Slice(offset, data.Length).CopyTo(data);
    }

    /// <summary>Nothing in the config Glue offers is writable (no VIRTIO_BLK_F_CONFIG_WCE).</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(VirtioActivation activation)
    {
        _activation = activation;
        for (int i = 0; i < _queues.Length; i++) _queues[i].Attach(activation.Queues[i], activation.Interrupts);
    }

    /// <summary>Waits for the requests in flight (their buffers are about to be forgotten), then forgets the queues.</summary>
    public void Reset()
    {
        foreach (var queue in _queues) queue.Detach();
        _activation = null;
    }

    /// <summary>vhost-user stops one ring: what is in flight on it completes first, so the base it answers is final.</summary>
    public void StopQueue(int queue)
    {
        if ((uint)queue < (uint)_queues.Length) _queues[queue].Drain();
    }

    /// <summary>
    /// Called with every request finished (StopQueue): the image is flushed, so the snapshot's disk is what its RAM
    /// expects; what the config space told the driver is kept, for a restore to check its disk against.
    /// </summary>
    public JsonObject Save()
    {
        int errno = _image.Flush();
        if (errno != 0) throw new SnapshotException($"flushing the disk failed: {Libc.ErrorText(-errno)}");
        return new JsonObject { ["sectors"] = Sectors, ["blockSize"] = _blockSize, ["queues"] = _queues.Length, ["readOnly"] = ReadOnly };
    }

    /// <summary>The disk given at restore must look to the driver as the snapshot's did: same size, block size, queues, read-only.</summary>
    public void Restore(JsonObject state)
    {
        ulong sectors = state.U64("sectors");
        uint blockSize = state.U32("blockSize"), queues = state.U32("queues");
        if (sectors != Sectors) throw new SnapshotException($"the disk has {Sectors} sectors, the snapshot's had {sectors}");
        if (blockSize != _blockSize) throw new SnapshotException($"the disk's block size is {_blockSize}, the snapshot's was {blockSize}");
        if (queues != _queues.Length) throw new SnapshotException($"the disk has {_queues.Length} queues, the snapshot's had {queues}");
        if (state.Bool("readOnly") != ReadOnly) throw new SnapshotException(ReadOnly ? "the disk is read-only, the snapshot's was not" : "the disk is writable, the snapshot's was read-only");
    }

    public void QueueNotify(int index)
    {
        if (_activation is not { } activation || (uint)index >= (uint)_queues.Length) return;
        var queue = _queues[index];
        do
        {
            queue.DisableNotification();
            do ServeAvailable(queue, activation);
            while (queue.AwaitAvailable(_pollWindow));
        } while (queue.EnableNotification());
    }

    /// <summary>
    /// Pops every chain available: cached reads are served here, the rest go to the workers, but the last one is
    /// served here when it is alone in flight, so that at queue depth 1 there is no hand-off at all.
    /// </summary>
    private void ServeAvailable(BlockQueue queue, VirtioActivation activation)
    {
        BlockRequest? held = null;
        while (queue.TryPop(out var chain))
        {
            if (Prepare(queue, chain!, activation) is not { } request || ServedFromCache(request)) continue;
            if (held is not null) Submit(held);
            held = request;
        }
        if (held is null) return;
        if (queue.InFlight == 1) Serve(held);
        else Submit(held);
    }

    /// <summary>
    /// A read the page cache holds, done on the I/O thread as it is popped: no hand-off to a worker and back, which
    /// costs more than a cached 4 KiB read. Of a read the cache holds in part, the worker reads only the rest.
    /// Without workers every request is served where it is popped anyway.
    /// </summary>
    private bool ServedFromCache(BlockRequest request)
    {
        if (_workers is null || request.Type != VIRTIO_BLK_T_IN) return false;
        long done = _image.ReadCached(request.Data, request.Offset);
        if ((ulong)done == request.DataBytes)
        {
            Finish(request, 0);
            return true;
        }
        request.Advance((ulong)done);
        return false;
    }

    private void Submit(BlockRequest request)
    {
        if (_workers is null) Serve(request);
        else _workers.Submit(request);
    }

    /// <summary>
    /// Reads a chain into a request. A chain answered at once (GET_ID, a bad header, an unsupported or malformed
    /// request, sectors outside the disk) gets its status and used element here, and null is returned. A chain with
    /// no byte for a status is used with length 0.
    /// </summary>
    private BlockRequest? Prepare(BlockQueue queue, DescriptorChain chain, VirtioActivation activation)
    {
        var writer = chain.Writer;
        if (writer.Length == 0 || writer.Length > uint.MaxValue)
        {
            queue.Answer(chain.Head, 0);
            return null;
        }
        byte* status = StatusByte(chain, activation);
        ulong dataBytes = writer.Length - 1;
        if (!chain.Reader.TryRead(out VirtioBlkRequestHeader header)) return Answer(queue, chain.Head, status, VIRTIO_BLK_S_IOERR);
        long offset;
        switch (header.Type)
        {
            case VIRTIO_BLK_T_IN:
                offset = Offset(header.Sector, dataBytes);
                if (offset < 0) return Answer(queue, chain.Head, status, VIRTIO_BLK_S_IOERR);
                var read = Request(queue, chain.Head, header.Type, status);
                read.Offset = offset;
                read.DataBytes = dataBytes;
                read.SetBuffers(activation.Memory, chain.Writable, 0, 1);
                return read;
            case VIRTIO_BLK_T_OUT:
                offset = Offset(header.Sector, chain.Reader.Remaining);
                if (offset < 0 || ReadOnly) return Answer(queue, chain.Head, status, VIRTIO_BLK_S_IOERR);
                var write = Request(queue, chain.Head, header.Type, status);
                write.Offset = offset;
                write.SetBuffers(activation.Memory, chain.Readable, chain.Reader.Position, 0);
                return write;
            case VIRTIO_BLK_T_FLUSH:
                return Request(queue, chain.Head, header.Type, status);
            case VIRTIO_BLK_T_GET_ID:
                // §5.2.6: 20 bytes, zero-padded, not NUL-terminated when the id is 20 long; a shorter buffer gets what fits.
                int idBytes = writer.Write(_id.AsSpan(0, (int)Math.Min(dataBytes, VIRTIO_BLK_ID_BYTES)));
                *status = VIRTIO_BLK_S_OK;
                queue.Answer(chain.Head, (uint)idBytes + 1);
                return null;
            case VIRTIO_BLK_T_DISCARD or VIRTIO_BLK_T_WRITE_ZEROES when !ReadOnly:
                return Range(queue, chain, header.Type, status);
            default:
                return Answer(queue, chain.Head, status, VIRTIO_BLK_S_UNSUPP);
        }
    }

    /// <summary>
    /// DISCARD and WRITE_ZEROES (§5.2.6): one struct virtio_blk_discard_write_zeroes (we offer one range). More ranges
    /// than offered, flags we do not know, or unmap on a discard are UNSUPP; a range too long or outside the disk is IOERR.
    /// </summary>
    private BlockRequest? Range(BlockQueue queue, DescriptorChain chain, uint type, byte* status)
    {
        var reader = chain.Reader;
        if (reader.Remaining == 0 || reader.Remaining % (ulong)sizeof(VirtioBlkDiscardWriteZeroes) != 0)
            return Answer(queue, chain.Head, status, VIRTIO_BLK_S_IOERR);
        if (reader.Remaining / (ulong)sizeof(VirtioBlkDiscardWriteZeroes) > MaxRanges) return Answer(queue, chain.Head, status, VIRTIO_BLK_S_UNSUPP);
        reader.TryRead(out VirtioBlkDiscardWriteZeroes range);
        bool unmap = (range.Flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0;
        if ((range.Flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0 || unmap && type == VIRTIO_BLK_T_DISCARD)
            return Answer(queue, chain.Head, status, VIRTIO_BLK_S_UNSUPP);
        long offset = Offset(range.Sector, (ulong)range.NumSectors * SectorSize);
        if (offset < 0 || range.NumSectors > MaxRangeSectors) return Answer(queue, chain.Head, status, VIRTIO_BLK_S_IOERR);
        var request = Request(queue, chain.Head, type, status);
        request.Offset = offset;
        request.Length = (long)range.NumSectors * SectorSize;
        request.Unmap = unmap;
        return request;
    }

    private static BlockRequest Request(BlockQueue queue, ushort head, uint type, byte* status)
    {
        var request = queue.Take(head);
        request.Type = type;
        request.StatusByte = status;
        return request;
    }

    private static BlockRequest? Answer(BlockQueue queue, ushort head, byte* status, byte value)
    {
        *status = value;
        queue.Answer(head, 1);
        return null;
    }

    /// <summary>The last writable byte of the chain (the status goes there; the driver checked it has one).</summary>
    private static byte* StatusByte(DescriptorChain chain, VirtioActivation activation)
    {
        var writable = chain.Writable;
        for (int i = writable.Length - 1; ; i--)
        {
            if (writable[i].Length > 0) return BlockRequest.HostAddress(activation.Memory, writable[i].Address.Offset(writable[i].Length - 1));
        }
    }

    /// <summary>The byte offset of [sector, sector + bytes/512), or -1 when it is not whole sectors inside the disk.</summary>
    private long Offset(ulong sector, ulong bytes)
    {
        if (bytes % SectorSize != 0 || sector > Sectors || bytes / SectorSize > Sectors - sector) return -1;
        return (long)sector * SectorSize;
    }

    /// <summary>Does one request with one call on the image, on a worker or the I/O thread, and completes it.</summary>
    private void Serve(BlockRequest request)
    {
        int result = request.Type switch
        {
            VIRTIO_BLK_T_IN => _image.Read(request.Data, request.Offset),
            VIRTIO_BLK_T_OUT => _image.Write(request.Data, request.Offset),
            VIRTIO_BLK_T_FLUSH => _image.Flush(),
            VIRTIO_BLK_T_DISCARD => _image.Discard(request.Offset, request.Length),
            VIRTIO_BLK_T_WRITE_ZEROES => _image.WriteZeroes(request.Offset, request.Length, request.Unmap),
            _ => -DiskLibc.EINVAL,
        };
        Finish(request, result);
    }

    /// <summary>The status byte and used element of a request its image answered with <paramref name="result"/>.</summary>
    private static void Finish(BlockRequest request, int result)
    {
        *request.StatusByte = result == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
        // §5.2.6: for IN the data and the status were written; otherwise only the status.
        uint used = request.Type == VIRTIO_BLK_T_IN && result == 0 ? (uint)request.DataBytes + 1 : 1;
        request.Queue.Complete(request, used);
    }

    /// <summary>Waits for the requests in flight, stops the workers, then flushes and closes the image.</summary>
    public void Dispose()
    {
        foreach (var queue in _queues) queue.Drain();
        _workers?.Dispose();
        _image.Dispose();
    }
}
