using System.Buffers.Binary;
using System.Text;
using Glue.Core.Pci;
using Glue.Virtio;
using Glue.Virtio.Split;
using Microsoft.Win32.SafeHandles;
using static Glue.Devices.Block.VirtioBlk;

namespace Glue.Devices.Block;

/// <summary>
/// The block device (virtio 1.2 §5.2) over a raw image file: IN, OUT, FLUSH and GET_ID, one queue. Data moves
/// between the file and guest memory directly (pread/pwrite over each buffer of the chain), with nothing
/// allocated per request. A read-only disk is opened O_RDONLY and fails OUT with IOERR. The disk owns its
/// file: disposing it (when the VM ends) fsyncs and closes it, so nothing the guest wrote is lost.
/// </summary>
public sealed class BlockDevice : IVirtioDevice, IDisposable
{
    public const ushort QueueSize = 256;

    /// <summary>§2.7.5.3.1: a chain has at most queue-size buffers; less the header and the status byte.</summary>
    public const uint SegMax = QueueSize - 2;

    private readonly SafeFileHandle _file;
    private readonly long _bytes;
    private readonly byte[] _id = new byte[VIRTIO_BLK_ID_BYTES];
    private VirtioActivation? _activation;

    /// <param name="file">Open for reading, and for writing unless <paramref name="readOnly"/>; the device owns it.</param>
    /// <param name="bytes">The disk's size, a multiple of 512.</param>
    /// <param name="id">What GET_ID returns: at most 20 bytes of ASCII, zero-padded.</param>
    public BlockDevice(SafeFileHandle file, long bytes, bool readOnly, string id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes % SectorSize != 0) throw new ArgumentException("the size must be a multiple of 512", nameof(bytes));
        _file = file;
        _bytes = bytes;
        ReadOnly = readOnly;
        Encoding.ASCII.GetBytes(id.AsSpan(0, Math.Min(id.Length, VIRTIO_BLK_ID_BYTES)), _id);
        Features = VirtioFeatures.Bit(VIRTIO_BLK_F_SEG_MAX) | VirtioFeatures.Bit(VIRTIO_BLK_F_BLK_SIZE) | VirtioFeatures.Bit(VIRTIO_BLK_F_FLUSH)
            | (readOnly ? VirtioFeatures.Bit(VIRTIO_BLK_F_RO) : 0);
    }

    public bool ReadOnly { get; }

    public ulong Sectors => (ulong)_bytes / SectorSize;

    public uint DeviceId => VirtioIds.VIRTIO_ID_BLOCK;

    public string Name => "blk";

    public uint PciClass => PciClassCodes.PCI_CLASS_STORAGE_OTHER;

    public ulong Features { get; }

    public IReadOnlyList<ushort> QueueMaxSizes { get; } = [QueueSize];

    public int ConfigSize => VirtioBlk.ConfigSize;

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> config = stackalloc byte[VirtioBlk.ConfigSize];
        config.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(config[ConfigCapacity..], Sectors);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigSegMax..], SegMax);
        BinaryPrimitives.WriteUInt32LittleEndian(config[ConfigBlkSize..], SectorSize);
        config.Slice(offset, data.Length).CopyTo(data);
    }

    /// <summary>Nothing in the config Glue offers is writable (no VIRTIO_BLK_F_CONFIG_WCE).</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    public void Activate(VirtioActivation activation) => _activation = activation;

    public void Reset() => _activation = null;

    public void QueueNotify(int queue)
    {
        if (_activation is not { } activation || queue != 0) return;
        var requests = activation.Queues[0];
        do
        {
            requests.DisableNotification();
            while (requests.TryPop(out var chain))
            {
                uint used = Serve(chain);
                requests.AddUsed(chain.Head, used);
            }
        } while (requests.EnableNotification());
        activation.SignalUsedIfNeeded(0);
    }

    /// <summary>
    /// Does one request and writes its status to the last writable byte; returns the used length. A request too
    /// short for a header, or with no byte for its status, is answered IOERR where that is possible.
    /// </summary>
    internal uint Serve(DescriptorChain chain)
    {
        var writer = chain.Writer;
        if (writer.Length == 0 || writer.Length > uint.MaxValue) return 0;   // nowhere to put a status
        ulong dataBytes = writer.Length - 1;
        byte status;
        if (!chain.Reader.TryRead(out VirtioBlkRequestHeader header))
        {
            status = VIRTIO_BLK_S_IOERR;
        }
        else
        {
            status = header.Type switch
            {
                VIRTIO_BLK_T_IN => Read(header.Sector, writer, dataBytes),
                VIRTIO_BLK_T_OUT => Write(header.Sector, chain.Reader),
                VIRTIO_BLK_T_FLUSH => FileSync.DataSync(_file) ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR,
                VIRTIO_BLK_T_GET_ID => GetId(writer, dataBytes),
                _ => VIRTIO_BLK_S_UNSUPP,
            };
        }
        writer.Advance(writer.Remaining - 1);
        writer.Write(new ReadOnlySpan<byte>(in status));
        // §5.2.6: for IN the data and the status were written; otherwise only what was written counts.
        return header.Type == VIRTIO_BLK_T_IN && status == VIRTIO_BLK_S_OK ? (uint)writer.Length
            : header.Type == VIRTIO_BLK_T_GET_ID && status == VIRTIO_BLK_S_OK ? (uint)Math.Min(dataBytes, VIRTIO_BLK_ID_BYTES) + 1
            : 1;
    }

    /// <summary>The byte offset of [sector, sector + bytes/512), or -1 when it is not whole sectors inside the disk.</summary>
    private long Offset(ulong sector, ulong bytes)
    {
        if (bytes % SectorSize != 0 || sector > Sectors || bytes / SectorSize > Sectors - sector) return -1;
        return (long)sector * SectorSize;
    }

    private byte Read(ulong sector, ChainWriter writer, ulong bytes)
    {
        long offset = Offset(sector, bytes);
        if (offset < 0) return VIRTIO_BLK_S_IOERR;
        try
        {
            while (writer.Position < bytes)
            {
                var span = writer.GetSpan((int)Math.Min(bytes - writer.Position, int.MaxValue));
                int got = RandomAccess.Read(_file, span, offset);
                if (got <= 0) return VIRTIO_BLK_S_IOERR;   // the file shrank under us
                writer.Advance((ulong)got);
                offset += got;
            }
            return VIRTIO_BLK_S_OK;
        }
        catch (IOException)
        {
            return VIRTIO_BLK_S_IOERR;
        }
    }

    private byte Write(ulong sector, ChainReader reader)
    {
        if (ReadOnly) return VIRTIO_BLK_S_IOERR;
        long offset = Offset(sector, reader.Remaining);
        if (offset < 0) return VIRTIO_BLK_S_IOERR;
        try
        {
            while (reader.Remaining > 0)
            {
                var span = reader.GetSpan();
                RandomAccess.Write(_file, span, offset);
                reader.Advance((ulong)span.Length);
                offset += span.Length;
            }
            return VIRTIO_BLK_S_OK;
        }
        catch (IOException)
        {
            return VIRTIO_BLK_S_IOERR;
        }
    }

    /// <summary>§5.2.6: 20 bytes, zero-padded, not NUL-terminated when the id is 20 long; a shorter buffer gets what fits.</summary>
    private byte GetId(ChainWriter writer, ulong bytes)
    {
        writer.Write(_id.AsSpan(0, (int)Math.Min(bytes, VIRTIO_BLK_ID_BYTES)));
        return VIRTIO_BLK_S_OK;
    }

    /// <summary>fsyncs what the guest wrote (a read-only disk has nothing to sync) and closes the file.</summary>
    public void Dispose()
    {
        if (_file.IsClosed) return;
        if (!ReadOnly) FileSync.Sync(_file);
        _file.Dispose();
    }
}
