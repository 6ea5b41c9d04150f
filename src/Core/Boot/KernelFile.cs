using Glue.Core.Interop;

namespace Glue.Core.Boot;

/// <summary>
/// Reads a kernel or initrd whole, after checking what it is: a regular file (<see cref="RegularFile"/>), not
/// empty, and no larger than the guest RAM it must fit in (checked before a byte is read, so a 20 GiB sparse file
/// is refused at once).
/// </summary>
public static class KernelFile
{
    /// <summary>The largest file Glue reads into one buffer (.NET's Array.MaxLength for bytes).</summary>
    public static readonly long MaxBytes = Array.MaxLength;

    /// <param name="what">"kernel" or "initrd", for the messages.</param>
    /// <param name="option">The option that named the file ("-k"), for the fix the message suggests.</param>
    /// <param name="limit">The guest RAM the file must fit in, in bytes.</param>
    public static byte[] Read(string path, string what, string option, ulong limit)
    {
        if (path.Length == 0) throw new BootException($"{what}: the path is empty; give {option} FILE");
        using var file = RegularFile.Open(path, out var status, out string? problem) ?? throw new BootException($"{what} {path}: {problem}");
        Check(path, what, status, limit);
        var bytes = new byte[status.Size];
        if (RegularFile.Read(file, bytes) is { } failure) throw new BootException($"{what} {path}: {failure}");
        return bytes;
    }

    private static void Check(string path, string what, FileStatus status, ulong limit)
    {
        if (status.Size == 0) throw new BootException($"{what} {path}: the file is empty");
        if ((ulong)status.Size > limit)
            throw new BootException($"{what} {path}: the file is {Size(status.Size)}, more than the guest's {Size((long)limit)} of RAM; give a larger -m or a smaller {what}");
        if (status.Size > MaxBytes) throw new BootException($"{what} {path}: the file is {Size(status.Size)}; Glue loads at most {Size(MaxBytes)}");
    }

    /// <summary>A size for a message: whole GiB, MiB or KiB where exact enough, else bytes.</summary>
    private static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
