namespace Glue.Display.Vnc;

/// <summary>
/// The distinct colours of one ZRLE tile, up to the 127 a palette may hold (RFC 6143 §7.7.6), each with its index:
/// an open-addressed table that a new tile empties by bumping a generation instead of clearing.
/// </summary>
internal sealed class TilePalette
{
    public const int MaxColours = 127;
    private const int Slots = 256;

    private readonly uint[] _keys = new uint[Slots];
    private readonly byte[] _indices = new byte[Slots];
    private readonly int[] _generations = new int[Slots];
    private int _generation;

    public uint[] Colours { get; } = new uint[MaxColours];

    /// <summary>How many colours; more than <see cref="MaxColours"/> means the tile has too many for a palette.</summary>
    public int Count { get; private set; }

    public void Reset()
    {
        _generation++;
        Count = 0;
    }

    /// <summary>Adds <paramref name="colour"/> if new; false once the tile has more colours than a palette holds.</summary>
    public bool Add(uint colour)
    {
        if (Count > MaxColours) return false;
        int slot = Slot(colour);
        if (_generations[slot] == _generation) return true;
        if (Count == MaxColours)
        {
            Count++;
            return false;
        }
        _generations[slot] = _generation;
        _keys[slot] = colour;
        _indices[slot] = (byte)Count;
        Colours[Count++] = colour;
        return true;
    }

    /// <summary>The index of a colour that <see cref="Add"/> took.</summary>
    public byte IndexOf(uint colour) => _indices[Slot(colour)];

    /// <summary>The slot holding <paramref name="colour"/>, or the empty slot where it belongs.</summary>
    private int Slot(uint colour)
    {
        int slot = (int)((colour * 2654435761u) >> 24);
        while (_generations[slot] == _generation && _keys[slot] != colour) slot = (slot + 1) & (Slots - 1);
        return slot;
    }
}
