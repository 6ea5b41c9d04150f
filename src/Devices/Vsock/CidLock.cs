using Glue.Core.Control;
using Glue.Core.Devices;

namespace Glue.Devices.Vsock;

/// <summary>
/// One guest CID per host: `vsock-cid-N.lock` in the runtime directory, held under an exclusive flock(2) for
/// the VM's life (.NET takes LOCK_EX|LOCK_NB for FileShare.None). The kernel drops the lock when the process
/// dies, however it dies, so a killed VM never blocks its CID. The empty file stays: deleting it would let a VM
/// that opened it just before hold a lock on a file nobody else can see.
/// </summary>
public sealed class CidLock : IDisposable
{
    private readonly FileStream _file;

    private CidLock(FileStream file) => _file = file;

    public static string PathFor(ulong cid) => Path.Combine(RuntimeDirectory.Path, $"vsock-cid-{cid}.lock");

    /// <summary>Takes the CID; <see cref="DeviceConfigException"/> when a running VM holds it.</summary>
    public static CidLock Acquire(ulong cid)
    {
        RuntimeDirectory.Create();
        try
        {
            return new CidLock(new FileStream(PathFor(cid), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            throw new DeviceConfigException($"--vsock: cid {cid} is in use by another VM on this host");
        }
    }

    public void Dispose() => _file.Dispose();
}
