using System.CommandLine;
using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Core.Sandbox;
using Glue.Display;
using Glue.Display.VhostUserGpu;
using Glue.Virtio;

namespace Glue;

/// <summary>
/// `glue device NAME --socket PATH... [the device's run options]`: serve virtio devices to another VMM over the
/// build's backend transport (vhost-user), one socket each. Glue listens on each PATH; a frontend (QEMU's
/// `-chardev socket,path=PATH`) connects, and when it goes away Glue waits for the next one. SIGTERM or SIGINT
/// ends it with status 0. The devices are made by their features from the same options `glue run` takes; a
/// display device's command also takes the input devices' options, so that they share its display (keys sent
/// to its VNC reach them).
/// </summary>
internal static class DeviceCommand
{
    /// <summary>The command, or null when the build has no backend transport (then `glue device` is unknown).</summary>
    public static Command? Create(Option<bool> verbose)
    {
        var features = DeviceRegistry.CreateDevices();
        if (features.OfType<IVirtioBackendFeature>().FirstOrDefault() is not { } backend) return null;
        var command = new Command("device",
            $"Serve virtio devices over {backend.Name}: glue listens on a --socket PATH for each, and a frontend VMM (QEMU: -chardev socket,path=PATH) connects");
        var served = features.OfType<IVirtioDeviceFeature>().ToList();
        var inputs = served.Where(feature => feature is IDisplayCompanionFeature).ToList();
        foreach (var feature in served) command.Subcommands.Add(Subcommand(feature, feature is IDisplayFeature ? inputs : [], backend, verbose));
        // `glue device` alone, or with a device this build does not have: say which it has.
        command.TreatUnmatchedTokensAsErrors = false;
        string names = string.Join(", ", served.Select(CommandName));
        command.SetAction(parse => ErrorReport.Usage(parse.UnmatchedTokens.Count > 0
            ? $"glue device: no device '{parse.UnmatchedTokens[0]}' in this build; it serves {names}"
            : $"glue device needs a device: one of {names} (see glue device --help)"));
        return command;
    }

    /// <summary>"virtio-console" is `glue device console`; the others go by their names.</summary>
    private static string CommandName(IDeviceFeature feature) => feature.Name.StartsWith("virtio-", StringComparison.Ordinal) ? feature.Name["virtio-".Length..] : feature.Name;

    private static Command Subcommand(IVirtioDeviceFeature feature, IReadOnlyList<IVirtioDeviceFeature> companions, IVirtioBackendFeature backend, Option<bool> verbose)
    {
        var socket = new Option<string[]>("--socket")
        {
            Description = $"A Unix socket to listen on for the {backend.Name} frontend: one for each device, in the order they are made ({feature.Name}{string.Concat(companions.Select(c => ", then " + c.Name))})",
            Required = true,
        };
        var features = (IVirtioDeviceFeature[])[feature, .. companions];
        var options = features.SelectMany(f => f.Options.Select(o => DeviceOptions.For(f, o))).ToArray();
        var unsealed = new Option<bool>("--allow-unsealed-memory")
        {
            Description = "Accept guest memory the frontend could shrink (a /dev/shm or hugetlbfs file; QEMU's memory-backend-memfd is sealed): a frontend that shrinks it kills glue",
        };
        var command = new Command(CommandName(feature), $"Serve {feature.Name} devices, made from the options `glue run` takes") { socket, unsealed };
        var sandbox = new SandboxOptions();
        sandbox.AddTo(command);
        foreach (var option in options) command.Options.Add(option);
        command.SetAction(parse =>
        {
            // A device whose one option is its own name (`--rng`, `--console`) needs none here: asking for the device says it.
            string? implied = feature.Options is [var only] && only.Name == "--" + CommandName(feature) ? only.Name : null;
            var values = DeviceOptions.Values(parse, options, parse.GetValue(verbose), implied);
            return Execute(feature, features, backend, parse.GetValue(socket)!, values, parse.GetValue(verbose), parse.GetValue(unsealed), sandbox.Values(parse));
        });
        return command;
    }

    private static int Execute(IVirtioDeviceFeature feature, IVirtioDeviceFeature[] features, IVirtioBackendFeature backend, string[] socketPaths,
        DeviceOptionValues values, bool verbose, bool allowUnsealedMemory, (SeccompMode Mode, UserIds? User) sandbox)
    {
        var stopping = new StopRequest();
        using var sigterm = StopOn(PosixSignal.SIGTERM, stopping);
        using var sigint = StopOn(PosixSignal.SIGINT, stopping);
        var devices = new List<(IVirtioDevice Device, string Feature)>();
        var servers = new List<IVirtioBackend>();
        var mirrors = new List<VhostUserGpuMirror>();
        Action<string> log = message => Console.Error.WriteLine($"glue: {message}");
        string? listening = null;
        try
        {
            foreach (var path in socketPaths)
                if (UnixSocketPath.Problem(path, "--socket") is { } problem) return ErrorReport.Usage(problem);
            // The process filter before glue starts a thread, --user once the sockets listen (docs/security.md).
            SandboxOptions.Start(sandbox.Mode, sandbox.User);
            foreach (var made in features) devices.AddRange(made.Create(values).Select(device => (device, made.Name)));
            if (devices.Count != socketPaths.Length) return ErrorReport.Usage(SocketCountProblem(feature, features, devices.Count, socketPaths.Length));
            for (int i = 0; i < devices.Count; i++)
            {
                listening = socketPaths[i];
                // A display device's picture also goes to the frontend's display (QEMU's vhost-user-gpu), over the socket it hands over.
                var mirror = devices[i].Device is IDisplayDevice display ? new VhostUserGpuMirror(display.Surface, log) : null;
                if (mirror is not null) mirrors.Add(mirror);
                servers.Add(backend.Listen(socketPaths[i], devices[i].Device, log, verbose, allowUnsealedMemory, mirror is null ? null : mirror.Replace));
            }
            SandboxOptions.Drop(sandbox.User);
            stopping.Servers = [.. servers];
            if (stopping.Requested) return ExitCodes.Success;
            if (verbose)
                for (int i = 0; i < devices.Count; i++) Console.Error.WriteLine($"glue: serving {devices[i].Feature} on {Path.GetFullPath(socketPaths[i])}");
            Serve(servers);
            return ExitCodes.Success;
        }
        catch (DeviceConfigException e)
        {
            return ErrorReport.Usage(e.Message);
        }
        catch (Exception e) when (e is NativeError or SandboxException)
        {
            return ErrorReport.Fail(e.Message, ExitCodes.VmFailed);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            // Each device's options report their own files and sockets as DeviceConfigException; what is left is the --socket being bound.
            return listening is null
                ? ErrorReport.Fail($"internal error: {e.GetType().Name}: {e.Message}", ExitCodes.VmFailed)
                : ErrorReport.Usage($"--socket {listening}: cannot listen there: {e.Message}");
        }
        finally
        {
            stopping.Servers = [];
            foreach (var server in servers) server.Dispose();
            foreach (var mirror in mirrors) mirror.Dispose();
            foreach (var (device, _) in devices) (device as IDisposable)?.Dispose();
        }
    }

    /// <summary>Each device on a thread of its own (the first on this one), until all have been stopped.</summary>
    private static void Serve(List<IVirtioBackend> servers)
    {
        var others = servers.Skip(1).Select(server => new Thread(() => ServeAs(server)) { Name = "vhost-user", IsBackground = true }).ToList();
        foreach (var thread in others) thread.Start();
        ServeAs(servers[0]);
        foreach (var thread in others) thread.Join();
    }

    private static void ServeAs(IVirtioBackend server)
    {
        SeccompFilters.Enter(ThreadKind.Backend);
        server.Serve();
    }

    private static string SocketCountProblem(IVirtioDeviceFeature feature, IVirtioDeviceFeature[] features, int devices, int sockets)
    {
        string options = string.Join(", ", features.SelectMany(f => f.Options).Select(o => o.Name));
        return devices == 0
            ? $"glue device {CommandName(feature)} makes no device from these options: give {options}"
            : $"these options make {devices} device(s) and there are {sockets} --socket(s): give one --socket for each device, in the order they are made";
    }

    private static PosixSignalRegistration StopOn(PosixSignal signal, StopRequest stopping) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            stopping.Requested = true;
            foreach (var server in stopping.Servers) server.Stop();
        });

    private sealed class StopRequest
    {
        public volatile bool Requested;
        public volatile IVirtioBackend[] Servers = [];
    }
}
