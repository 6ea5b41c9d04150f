using System.Net.Sockets;
using Glue.Core.Interop;
using Glue.Core.Machine;
using Glue.Core.Snapshot;

namespace Glue.Core.Control;

/// <summary>
/// A VM's control socket: bound when `glue run` starts (refusing a name a live VM holds), served on a thread
/// of its own so pause, resume, stop and status work while the vCPUs run, and removed when the VM ends.
/// </summary>
public sealed class ControlServer : IDisposable
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(5);

    // asm-generic/fcntl.h: the socket's directory held as a path, for unlinkat at the end.
    private const int O_DIRECTORY = 0x10000;
    private const int O_PATH = 0x200000;

    private readonly Socket _listener;
    private readonly string _path;
    private readonly SafeFd _directory;
    private VirtualMachine? _machine;

    private ControlServer(string name, string path, SafeFd directory, Socket listener)
    {
        Name = name;
        _path = path;
        _directory = directory;
        _listener = listener;
    }

    public string Name { get; }

    /// <summary>Claims the name; throws <see cref="ControlNameException"/> if it is invalid or a live VM has it.</summary>
    public static ControlServer Bind(string name)
    {
        if (!RuntimeDirectory.IsValidName(name))
        {
            throw new ControlNameException($"invalid VM name '{name}': use {RuntimeDirectory.NameRule}");
        }
        string path = RuntimeDirectory.SocketPath(name);
        if (System.Text.Encoding.UTF8.GetByteCount(path) > UnixSocketPath.MaxBytes)
            throw new RuntimeDirectoryException($"the control socket {path} is longer than a Unix socket path may be ({UnixSocketPath.MaxBytes} bytes): set XDG_RUNTIME_DIR to a shorter directory");
        RuntimeDirectory.Create();
        using (var existing = ControlClient.Connect(path))
        {
            if (existing is not null) throw new ControlNameException($"a VM named '{name}' is already running");
        }
        if (FileStatus.OfLink(path, out var status) == 0)
            throw new ControlNameException($"{path} exists and is not a Glue socket ({status.KindText}): remove it, or give another -n NAME");
        // The socket is removed at the end through its directory, opened now: after --user the process may no longer
        // reach the directory by its path (XDG_RUNTIME_DIR above it is root's, mode 0700).
        var directory = new SafeFd(Libc.Open(Path.GetDirectoryName(path)!, O_PATH | O_DIRECTORY | Libc.O_CLOEXEC));
        if (directory.IsInvalid) throw NativeError.FromLastError($"open {Path.GetDirectoryName(path)}");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(8);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            directory.Dispose();
            throw new ControlNameException($"cannot create control socket {path}: {e.Message}");
        }
        return new ControlServer(name, path, directory, listener);
    }

    /// <summary>Starts answering requests for the machine; snapshots are written as <paramref name="origin"/>'s.</summary>
    public void Serve(VirtualMachine machine, SnapshotOrigin origin)
    {
        _machine = machine;
        machine.ControlHandlers.Register(SnapshotRequest.Type, payload => SnapshotRequest.Handle(machine, origin, payload));
        new Thread(AcceptLoop) { Name = "control", IsBackground = true }.Start();
    }

    private void AcceptLoop()
    {
        Sandbox.SeccompFilters.Enter(Sandbox.ThreadKind.Control);
        while (true)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // the listener was closed: the VM is ending
            }
            using (client)
            {
                // A client that connects and says nothing must not hold the socket from everyone else.
                client.ReceiveTimeout = client.SendTimeout = (int)ClientTimeout.TotalMilliseconds;
                try
                {
                    Answer(client);
                }
                catch (Exception e) when (e is SocketException or IOException)
                {
                    // A client that hangs up or misbehaves affects only its own connection.
                }
            }
        }
    }

    private void Answer(Socket client)
    {
        var machine = _machine!;
        var request = ControlProtocol.Receive(client);
        if (request is null) return;
        var (version, type, payload) = request.Value;
        if (version == ControlProtocol.Version && !Enum.IsDefined((ControlRequest)type) && machine.ControlHandlers.Handle(type, payload) is { } reply)
        {
            ControlProtocol.Send(client, (ushort)reply.Status, reply.Payload);
            return;
        }
        ControlStatus status;
        if (version != ControlProtocol.Version) status = ControlStatus.BadVersion;
        else
        {
            status = (ControlRequest)type switch
            {
                ControlRequest.Status => ControlStatus.Ok,
                ControlRequest.Pause => machine.Pause() ? ControlStatus.Ok : ControlStatus.AlreadyPaused,
                ControlRequest.Resume => machine.Resume() ? ControlStatus.Ok : ControlStatus.NotPaused,
                ControlRequest.Stop => ControlStatus.Ok,
                _ => ControlStatus.BadRequest,
            };
        }
        ControlProtocol.Send(client, (ushort)status, ControlClient.FormatStatus(new VmStatus(Environment.ProcessId, Name, machine.State)));
        if (status == ControlStatus.Ok && (ControlRequest)type == ControlRequest.Stop)
        {
            machine.RequestExit(new VmExit(VmExitKind.Stopped, "stopped by glue stop"));
        }
    }

    /// <summary>
    /// Hands the socket and the runtime directory to the user `--user` drops to, before the drop: that user's
    /// lifecycle commands reach the VM, and the process can still remove the socket at the end.
    /// </summary>
    public void GiveTo(uint uid, uint gid)
    {
        foreach (var path in (string[])[Path.GetDirectoryName(_path)!, _path])
            if (Libc.Chown(path, uid, gid) != 0) throw NativeError.FromLastError($"chown {path}");
    }

    /// <summary>Closes the socket and removes its file, so the name is free again.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        // Should it fail, the socket left behind is stale, and the next glue of this name replaces it.
        Libc.UnlinkAt(_directory.Fd, Path.GetFileName(_path), 0);
        _directory.Dispose();
    }
}

/// <summary>The VM's name cannot be used.</summary>
public sealed class ControlNameException(string message) : Exception(message);
