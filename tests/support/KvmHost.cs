using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Glue.TestSupport;

/// <summary>
/// Where what needs KVM runs: here, when this machine's /dev/kvm is hardware-backed, or inside the software KVM
/// host (tests/host/README.md) that `./build.sh test` booted and named in GLUE_HOST_AGENT and GLUE_HOST_EXEC. Its
/// agent runs a program there as if here (host-exec: same paths, environment, streams, signals and exit status)
/// and joins a socket here to a Unix socket there, since a Unix socket does not cross the 9p share. `glue run`,
/// everything that talks to a VM of it, and QEMU with -enable-kvm go there; the rest stays here.
/// </summary>
public static class KvmHost
{
    private static string? Agent => Environment.GetEnvironmentVariable("GLUE_HOST_AGENT") is { Length: > 0 } port ? port : null;

    /// <summary>True when KVM is the software host's.</summary>
    public static bool IsSoftware => Agent is not null;

    /// <summary>A start of the program in the KVM host, its standard streams redirected.</summary>
    public static ProcessStartInfo StartInfo(string program, IEnumerable<string> arguments) => InHost(StartHere(program, arguments));

    /// <summary>A start of the program on this machine, whatever KVM is, its standard streams redirected.</summary>
    public static ProcessStartInfo StartHere(string program, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>The same start, run in the KVM host: host-exec with the program as its first argument.</summary>
    public static ProcessStartInfo InHost(ProcessStartInfo start)
    {
        if (!IsSoftware)
            return start;
        var hostExec = Environment.GetEnvironmentVariable("GLUE_HOST_EXEC")
            ?? throw new InvalidOperationException("GLUE_HOST_AGENT is set without GLUE_HOST_EXEC: run these tests through ./build.sh test");
        start.ArgumentList.Insert(0, start.FileName);
        start.FileName = hostExec;
        return start;
    }

    /// <summary>
    /// The id of a started program where it runs: its own here, or for a program started through host-exec, the one
    /// in the KVM host, which host-exec writes to GLUE_HOST_PIDS/&lt;its pid&gt; once the agent has started it.
    /// </summary>
    public static int PidOf(Process process)
    {
        var pids = Environment.GetEnvironmentVariable("GLUE_HOST_PIDS");
        if (!IsSoftware || process.StartInfo.FileName != Environment.GetEnvironmentVariable("GLUE_HOST_EXEC") || string.IsNullOrEmpty(pids))
            return process.Id;
        var file = Path.Combine(pids, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var clock = Stopwatch.StartNew();
        while (!File.Exists(file))
        {
            if (process.HasExited || clock.Elapsed > TimeSpan.FromSeconds(30))
                throw new InvalidOperationException($"host-exec (pid {process.Id}) did not say where its program runs ({file})");
            Thread.Sleep(5);
        }
        return int.Parse(File.ReadAllText(file).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Whether a path exists where glue's VMs run: the host has its own /run (glue's vsock CID locks are in /run/lock).</summary>
    public static bool Exists(string path) => IsSoftware ? Run("test", "-e", path) == 0 : Path.Exists(path);

    /// <summary>Runs a short command in the KVM host to its end; returns its exit status.</summary>
    public static int Run(string program, params string[] arguments)
    {
        using var process = Process.Start(StartInfo(program, arguments))!;
        process.StandardInput.Close();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }

    /// <summary>Connects to a Unix socket of the KVM host (a VM's VNC, vsock or QEMU monitor socket).</summary>
    public static async Task<Socket> ConnectAsync(string path, CancellationToken cancel = default)
    {
        if (!IsSoftware)
            return await ConnectHereAsync(path, cancel);
        var agent = await OpenAsync('C', $"unix:{path}", cancel);
        await ExpectAsync(agent, 'K', cancel);
        return agent;
    }

    /// <summary>Connects to a Unix socket on this machine, whatever KVM is (a QEMU under TCG runs here).</summary>
    public static async Task<Socket> ConnectHereAsync(string path, CancellationToken cancel = default)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancel);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects once something listens at the path (a VMM that is starting), retrying until the limit.</summary>
    public static async Task<Socket> ConnectWhenListeningAsync(string path, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await ConnectAsync(path);
            }
            catch (SocketException) when (clock.Elapsed < limit)
            {
                await Task.Delay(20);
            }
        }
    }

    /// <summary>Listens at a Unix socket path of the KVM host, for one connection (a VM's vsock host port).</summary>
    public static async Task<Listener> ListenAsync(string path, CancellationToken cancel = default)
    {
        if (!IsSoftware)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Bind(new UnixDomainSocketEndPoint(path));
            socket.Listen(1);
            return new Listener(socket, viaAgent: false);
        }
        var agent = await OpenAsync('L', $"unix:{path}", cancel);
        await ExpectAsync(agent, 'l', cancel);
        return new Listener(agent, viaAgent: true);
    }

    /// <summary>One listening socket: here, or in the KVM host, where the agent's connection becomes the accepted one.</summary>
    public sealed class Listener(Socket socket, bool viaAgent) : IDisposable
    {
        private bool _handedOut;

        public async Task<Socket> AcceptAsync(CancellationToken cancel)
        {
            if (!viaAgent)
                return await socket.AcceptAsync(cancel);
            await ExpectAsync(socket, 'K', cancel);
            _handedOut = true;
            return socket;
        }

        /// <summary>Closes the listening socket; through the agent, that also removes its path in the host.</summary>
        public void Dispose()
        {
            if (!_handedOut)
                socket.Dispose();
        }
    }

    private static async Task<Socket> OpenAsync(char type, string target, CancellationToken cancel)
    {
        var agent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await agent.ConnectAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(Agent!, System.Globalization.CultureInfo.InvariantCulture)), cancel);
            var payload = Encoding.UTF8.GetBytes(target);
            var frame = new byte[5 + payload.Length];
            frame[0] = (byte)type;
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(1), (uint)payload.Length);
            payload.CopyTo(frame, 5);
            await agent.SendAsync(frame, cancel);
            return agent;
        }
        catch
        {
            agent.Dispose();
            throw;
        }
    }

    /// <summary>Reads the agent's answer; its error frame (the agent could not connect or listen) becomes a SocketException.</summary>
    private static async Task ExpectAsync(Socket agent, char type, CancellationToken cancel)
    {
        var header = new byte[5];
        await ReceiveExactlyAsync(agent, header, cancel);
        var payload = new byte[BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(1))];
        await ReceiveExactlyAsync(agent, payload, cancel);
        if (header[0] != type)
        {
            agent.Dispose();
            throw new SocketException((int)SocketError.ConnectionRefused, $"the KVM host's agent: {Encoding.UTF8.GetString(payload)}");
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancel)
    {
        for (int got = 0; got < buffer.Length;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(got), cancel);
            if (n == 0)
                throw new SocketException((int)SocketError.ConnectionReset, "the KVM host's agent closed the connection");
            got += n;
        }
    }
}
