using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block;

internal static partial class FileSync
{
    /// <summary>fdatasync(2): the file's data (and the metadata needed to read it) on stable storage. Returns -1 and sets errno on failure.</summary>
    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FdataSync(int fd);

    /// <summary>fsync(2): data and all metadata. Returns -1 and sets errno on failure.</summary>
    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    /// <summary>True when the data reached storage.</summary>
    public static bool DataSync(SafeFileHandle file) => Call(file, FdataSync);

    public static bool Sync(SafeFileHandle file) => Call(file, FSync);

    private static bool Call(SafeFileHandle file, Func<int, int> sync)
    {
        bool referenced = false;
        file.DangerousAddRef(ref referenced);
        try
        {
            return sync((int)file.DangerousGetHandle()) == 0;
        }
        finally
        {
            if (referenced) file.DangerousRelease();
        }
    }
}
