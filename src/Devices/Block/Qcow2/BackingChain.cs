using Glue.Core.Interop;

namespace Glue.Devices.Block.Qcow2;

/// <summary>
/// The files of one image's backing chain, opened from the top down: each backing file name is resolved against
/// the folder of the image that names it (as QEMU does), its format is the one the image names (raw or qcow2)
/// or else probed, and a chain that comes back to a file already in it, or runs deeper than
/// <see cref="MaxDepth"/>, is refused. A probed qcow2 backing file may not have a backing file of its own: only
/// a named format opens another file.
/// </summary>
internal sealed class BackingChain
{
    public const int MaxDepth = 16;

    private readonly List<(ulong Device, ulong Inode)> _files = [];
    private readonly string _top;

    /// <summary>A chain whose top image is <paramref name="top"/>.</summary>
    public BackingChain(string top)
    {
        _top = top;
        Enter(top, top);
    }

    /// <summary>Records the next file down the chain before it is opened (or locked); throws when it is already in the chain or the chain is too deep.</summary>
    private void Enter(string path, string role)
    {
        if (FileStatus.Of(path, out var status) != 0) return;   // opening it says why
        if (_files.Contains((status.Device, status.Inode)))
            throw new DiskImageError($"{role}: the backing chain of {_top} loops back to a file already in it");
        if (_files.Count > MaxDepth) throw new DiskImageError($"{role}: the backing chain of {_top} is deeper than {MaxDepth} files");
        _files.Add((status.Device, status.Inode));
    }

    /// <summary>Opens the backing file <paramref name="header"/> names, read-only.</summary>
    public IDiskImage Open(string imagePath, Qcow2Header header)
    {
        string name = header.BackingFile!;
        if (name.StartsWith("json:", StringComparison.Ordinal) || name.Contains("://", StringComparison.Ordinal))
            throw new DiskImageError($"{imagePath}: its backing file '{name}' is not a file path; Glue opens backing files by path only");
        string path = Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(imagePath) is { Length: > 0 } folder ? folder : ".", name);
        string role = $"{path} (backing file of {imagePath})";
        string? format = header.BackingFormat;
        if (format is not (null or "raw" or "qcow2"))
            throw new DiskImageError($"{imagePath}: its backing file {path} is in format '{format}'; Glue reads raw and qcow2 backing files");
        Enter(path, role);
        var file = ImageFile.Open(path, readOnly: true, role);
        try
        {
            if (format is null)
            {
                Span<byte> magic = stackalloc byte[4];
                format = file.Read(magic, 0) == 0 && Qcow2Header.HasMagic(magic) ? "qcow2" : "raw";
            }
            return format == "raw" ? new RawBacking(file) : Qcow2Image.OpenBacking(file, path, role, formatNamed: header.BackingFormat is not null, this);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
