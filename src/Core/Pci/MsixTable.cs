using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using static Glue.Core.Pci.PciRegisters;

namespace Glue.Core.Pci;

/// <summary>
/// A function's MSI-X state (PCI Local Bus 3.0, 6.8.2): the vector table (message address, data and vector control
/// per vector), the pending bit array, and the capability's enable and function mask bits. A vector is delivered
/// only while MSI-X is enabled and neither it nor the function is masked; raised while masked, it sets its pending
/// bit instead and is delivered once when unmasked (6.8.3.5). Delivery and routing are the owner's:
/// <c>route(vector, address, data)</c> points the vector's GSI at the message before it can be delivered (only
/// when the entry changed), and <c>deliver(vector)</c> raises it (an irqfd write).
///
/// Threads: the table is written from vCPU threads, vectors raised from device threads: one lock covers both.
/// Table and PBA accesses are aligned 4 or 8 bytes (6.8.2.9); anything else reads 0 and is dropped.
/// </summary>
public sealed class MsixTable
{
    private readonly object _gate = new();
    private readonly Action<int, ulong, uint> _route;
    private readonly Action<int> _deliver;
    private readonly byte[] _table;
    private readonly ulong[] _pending;
    private readonly (ulong Address, uint Data)?[] _routed;
    private bool _enabled, _functionMasked;

    public MsixTable(int vectors, Action<int, ulong, uint> route, Action<int> deliver)
    {
        if (vectors is < 1 or > PCI_MSIX_FLAGS_QSIZE + 1) throw new ArgumentOutOfRangeException(nameof(vectors), $"MSI-X has 1 to 2048 vectors, not {vectors}");
        Vectors = vectors;
        _route = route;
        _deliver = deliver;
        _table = new byte[vectors * PCI_MSIX_ENTRY_SIZE];
        _pending = new ulong[(vectors + 63) / 64];
        _routed = new (ulong, uint)?[vectors];
        // Every vector starts masked (6.8.2.9: the mask bit's reset value is 1).
        for (int v = 0; v < vectors; v++) Set32(v, PCI_MSIX_ENTRY_VECTOR_CTRL, PCI_MSIX_ENTRY_CTRL_MASKBIT);
    }

    public int Vectors { get; }

    /// <summary>Bytes of the table and of the PBA (QWORDs), for laying out a BAR.</summary>
    public int TableSize => _table.Length;

    public int PbaSize => _pending.Length * sizeof(ulong);

    /// <summary>The capability's Message Control (table size - 1; enable and function mask as the guest last wrote them).</summary>
    public ushort MessageControl
    {
        get
        {
            lock (_gate)
                return (ushort)(Vectors - 1 | (_enabled ? PCI_MSIX_FLAGS_ENABLE : 0) | (_functionMasked ? PCI_MSIX_FLAGS_MASKALL : 0));
        }
    }

    public bool Enabled
    {
        get { lock (_gate) return _enabled; }
    }

    /// <summary>A write of Message Control: enable and function mask; pending vectors that are now unmasked are delivered.</summary>
    public void WriteMessageControl(ushort value)
    {
        lock (_gate)
        {
            _enabled = (value & PCI_MSIX_FLAGS_ENABLE) != 0;
            _functionMasked = (value & PCI_MSIX_FLAGS_MASKALL) != 0;
            for (int v = 0; v < Vectors; v++) DeliverIfPendingAndUnmasked(v);
        }
    }

    /// <summary>
    /// Raises <paramref name="vector"/>: delivered if it can be, else pending while masked. False when MSI-X is
    /// disabled or the vector does not exist: the function then has no way to interrupt with it.
    /// </summary>
    public bool Signal(int vector)
    {
        lock (_gate)
        {
            if (!_enabled || (uint)vector >= (uint)Vectors) return false;
            if (Masked(vector)) _pending[vector / 64] |= 1UL << vector;
            else Deliver(vector);
            return true;
        }
    }

    public bool IsPending(int vector)
    {
        lock (_gate) return (_pending[vector / 64] >> vector & 1) != 0;
    }

    /// <summary>Clears every pending bit (the function was reset); the table keeps what the guest programmed.</summary>
    public void ClearPending()
    {
        lock (_gate) Array.Clear(_pending);
    }

    public void ReadTable(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (!Aligned(offset, data.Length, _table.Length)) return;
        lock (_gate) _table.AsSpan((int)offset, data.Length).CopyTo(data);
    }

    /// <summary>A table write; a vector's unmasking delivers its pending message, a change to an unmasked vector's message re-routes it.</summary>
    public void WriteTable(ulong offset, ReadOnlySpan<byte> data)
    {
        if (!Aligned(offset, data.Length, _table.Length)) return;
        lock (_gate)
        {
            data.CopyTo(_table.AsSpan((int)offset));
            int first = (int)offset / PCI_MSIX_ENTRY_SIZE, last = ((int)offset + data.Length - 1) / PCI_MSIX_ENTRY_SIZE;
            for (int v = first; v <= last; v++)
            {
                ClearReservedControlBits(v);
                if (!Masked(v)) RouteIfChanged(v);
                DeliverIfPendingAndUnmasked(v);
            }
        }
    }

    /// <summary>The PBA is read-only: writes are dropped (6.8.2.10).</summary>
    public void ReadPba(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (!Aligned(offset, data.Length, PbaSize)) return;
        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        lock (_gate) BinaryPrimitives.WriteUInt64LittleEndian(bytes, _pending[(int)offset / 8]);
        bytes.Slice((int)offset % 8, data.Length).CopyTo(data);
    }

    /// <summary>The table, the pending bits and the two control bits, for a snapshot.</summary>
    public JsonObject Save()
    {
        lock (_gate)
        {
            var pending = new byte[PbaSize];
            for (int i = 0; i < _pending.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(pending.AsSpan(8 * i), _pending[i]);
            return new JsonObject
            {
                ["table"] = Convert.ToBase64String(_table),
                ["pending"] = Convert.ToBase64String(pending),
                ["enabled"] = _enabled,
                ["functionMasked"] = _functionMasked,
            };
        }
    }

    /// <summary>A snapshot's table back; each unmasked vector is routed to its message again. Pending vectors stay pending until unmasked.</summary>
    public void Restore(JsonObject state)
    {
        byte[] table = state.Bytes("table", _table.Length), pending = state.Bytes("pending", PbaSize);
        bool enabled = state.Bool("enabled"), functionMasked = state.Bool("functionMasked");
        lock (_gate)
        {
            table.CopyTo(_table, 0);
            for (int i = 0; i < _pending.Length; i++) _pending[i] = BinaryPrimitives.ReadUInt64LittleEndian(pending.AsSpan(8 * i));
            _enabled = enabled;
            _functionMasked = functionMasked;
            Array.Clear(_routed);
            for (int v = 0; v < Vectors; v++)
            {
                ClearReservedControlBits(v);
                if (!Masked(v)) RouteIfChanged(v);
            }
        }
    }

    /// <summary>Vector Control bits other than the mask are reserved: they read 0 (6.8.2.9).</summary>
    private void ClearReservedControlBits(int vector) =>
        Set32(vector, PCI_MSIX_ENTRY_VECTOR_CTRL, Get32(vector, PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT);

    private bool Masked(int vector) => _functionMasked || (Get32(vector, PCI_MSIX_ENTRY_VECTOR_CTRL) & PCI_MSIX_ENTRY_CTRL_MASKBIT) != 0;

    private void DeliverIfPendingAndUnmasked(int vector)
    {
        ulong bit = 1UL << vector;
        if (!_enabled || Masked(vector) || (_pending[vector / 64] & bit) == 0) return;
        _pending[vector / 64] &= ~bit;
        Deliver(vector);
    }

    private void Deliver(int vector)
    {
        RouteIfChanged(vector);
        _deliver(vector);
    }

    private void RouteIfChanged(int vector)
    {
        ulong address = Get32(vector, PCI_MSIX_ENTRY_LOWER_ADDR) | (ulong)Get32(vector, PCI_MSIX_ENTRY_UPPER_ADDR) << 32;
        uint data = Get32(vector, PCI_MSIX_ENTRY_DATA);
        if (_routed[vector] == (address, data)) return;
        _route(vector, address, data);
        _routed[vector] = (address, data);
    }

    private static bool Aligned(ulong offset, int width, int size) =>
        width is 4 or 8 && offset % (ulong)width == 0 && size >= width && offset <= (ulong)(size - width);

    private uint Get32(int vector, int field) => BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(vector * PCI_MSIX_ENTRY_SIZE + field));

    private void Set32(int vector, int field, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_table.AsSpan(vector * PCI_MSIX_ENTRY_SIZE + field), value);
}
