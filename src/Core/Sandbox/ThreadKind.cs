namespace Glue.Core.Sandbox;

/// <summary>
/// The kinds of thread Glue runs, each with its own filter. The value travels in SECCOMP_RET_DATA to the SIGSYS
/// handler, which names the kind in its report.
/// </summary>
public enum ThreadKind : ushort
{
    /// <summary>The whole process's filter: the .NET runtime's threads (GC, finalizer, thread pool, signals) and set-up.</summary>
    Process = 1,
    /// <summary>`glue run`'s main thread once the vCPUs run: it waits for the VM's end and tears it down.</summary>
    Main,
    /// <summary>A vCPU: KVM_RUN and the port and MMIO exits it handles in place.</summary>
    Vcpu,
    /// <summary>A device's I/O thread (its event loop, the host console's input, a disk's request workers).</summary>
    DeviceIo,
    /// <summary>The VNC server and its clients, and the picture sent to a vhost-user-gpu frontend.</summary>
    Display,
    /// <summary>The control socket's thread: pause, resume, stop, status, screenshot.</summary>
    Control,
    /// <summary>`glue device`'s threads serving a vhost-user socket (the main thread serves the first).</summary>
    Backend,
    /// <summary>A virtio-fs device's workers: the host calls of a shared directory (open, create, rename, remove...).</summary>
    FileServer,
}
