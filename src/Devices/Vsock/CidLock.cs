using Glue.Core.Devices;
using Glue.Core.Interop;

namespace Glue.Devices.Vsock;

/// <summary>
/// One guest CID per host, whoever runs the VM: `glue-vsock-cid-N.lock` in the host's lock directory
/// (/run/lock, else /tmp), held under an exclusive flock(2) for the VM's life (.NET takes LOCK_EX|LOCK_NB for
/// FileShare.None). The kernel drops the lock when the process dies, however it dies, so a killed VM never
/// blocks its CID. A VM that ends removes the file while it still holds the lock; a VM that opened the file
/// just before then finds, once it has the lock, that the path no longer names its file, and tries again.
/// </summary>
public sealed class CidLock : IDisposable
{
    private static readonly string Directory = System.IO.Directory.Exists("/run/lock") ? "/run/lock" : "/tmp";

    private readonly FileStream _file;
    private readonly string _path;

    private CidLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    public static string PathFor(ulong cid) => Path.Combine(Directory, $"glue-vsock-cid-{cid}.lock");

    /// <summary>Takes the CID; <see cref="DeviceConfigException"/> when a running VM holds it.</summary>
    public static CidLock Acquire(ulong cid)
    {
        string path = PathFor(cid);
        while (true)
        {
            FileStream file;
            try
            {
                file = Open(path);
            }
            catch (IOException)
            {
                throw new DeviceConfigException($"--vsock: cid {cid} is in use by another VM on this host");
            }
            catch (UnauthorizedAccessException)
            {
                throw new DeviceConfigException($"--vsock: cannot lock cid {cid}: {path} is not readable by this user");
            }
            if (FileStatus.Of(file.SafeFileHandle, out var held) == 0 && FileStatus.OfLink(path, out var named) == 0
                && held.Inode == named.Inode && held.Device == named.Device)
                return new CidLock(file, path);
            file.Dispose(); // the VM that held it removed the file as we opened it: the CID is free, take the new file
        }
    }

    /// <summary>Read-write, so that the file can be created; read-only for another user's file, which locks as well.</summary>
    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException) when (File.Exists(path))
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
        }
    }

    /// <summary>Removes the file while the lock is held (another user's file in the sticky directory stays), then releases it.</summary>
    public void Dispose()
    {
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        _file.Dispose();
    }
}
