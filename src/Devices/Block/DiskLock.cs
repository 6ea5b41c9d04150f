using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Microsoft.Win32.SafeHandles;

namespace Glue.Devices.Block;

/// <summary>
/// The image lock QEMU takes too: an open file description lock (fcntl F_OFD_SETLK, fcntl(2)) over the whole
/// file, exclusive for a writable disk and shared for a read-only one, so two VMs never write one image and
/// none reads it while another writes. It lives as long as the file is open, so it goes with the device, and the
/// kernel drops it when the process dies. Nothing is written anywhere: who holds a refused lock is found by
/// <see cref="DiskHolder"/>.
/// </summary>
internal static partial class DiskLock
{
    // fcntl.h (asm-generic): the OFD lock commands and lock types.
    private const int F_OFD_SETLK = 37;
    private const short F_RDLCK = 0, F_WRLCK = 1;
    private const short SEEK_SET = 0;
    private const int EAGAIN = 11, EACCES = 13;

    /// <summary>struct flock (x86-64, asm-generic/fcntl.h): l_type, l_whence, l_start, l_len (0: to the end of the file), l_pid (0 for OFD locks).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    /// <summary>Locks the whole image, or throws <see cref="DeviceConfigException"/> naming who has it.</summary>
    public static unsafe void Take(SafeFileHandle file, string path, bool readOnly)
    {
        var request = new Flock { l_type = readOnly ? F_RDLCK : F_WRLCK, l_whence = SEEK_SET };
        if (Fcntl((int)file.DangerousGetHandle(), F_OFD_SETLK, &request) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is not (EAGAIN or EACCES)) return; // a filesystem without OFD locks (some network ones): QEMU goes on too
        string holder = DiskHolder.Describe(file) ?? "another process";
        throw new DeviceConfigException(readOnly
            ? $"--disk {path}: {holder} has it open writable; stop it, or give the disk ,ro there too"
            : $"--disk {path}: {holder} is using it; a writable disk can be in one VM only (several can share it with ,ro)");
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static unsafe partial int Fcntl(int fd, int cmd, Flock* lck);
}
