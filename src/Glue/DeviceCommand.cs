using System.CommandLine;
using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Core.Interop;
using Glue.Display;
using Glue.Display.VhostUserGpu;
using Glue.Virtio;

namespace Glue;

/// <summary>
/// `glue device NAME --socket PATH [the device's run options]`: serve exactly one virtio device to another VMM
/// over the build's backend transport (vhost-user). Glue listens on PATH; the frontend (QEMU's
/// `-chardev socket,path=PATH`) connects, and when it goes away Glue waits for the next one. SIGTERM or SIGINT
/// ends it with status 0. The device is made by its feature from the same options `glue run` takes.
/// </summary>
internal static class DeviceCommand
{
    /// <summary>The command, or null when the build has no backend transport (then `glue device` is unknown).</summary>
    public static Command? Create(Option<bool> verbose)
    {
        var features = DeviceRegistry.CreateDevices();
        if (features.OfType<IVirtioBackendFeature>().FirstOrDefault() is not { } backend) return null;
        var command = new Command("device",
            $"Serve one virtio device over {backend.Name}: glue listens on --socket PATH, and a frontend VMM (QEMU: -chardev socket,path=PATH) connects");
        var served = features.OfType<IVirtioDeviceFeature>().ToList();
        foreach (var feature in served) command.Subcommands.Add(Subcommand(feature, backend, verbose));
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

    private static Command Subcommand(IVirtioDeviceFeature feature, IVirtioBackendFeature backend, Option<bool> verbose)
    {
        var socket = new Option<string>("--socket") { Description = $"The Unix socket to listen on for the {backend.Name} frontend", Required = true };
        var options = feature.Options.Select(o => DeviceOptions.For(feature, o)).ToArray();
        var unsealed = new Option<bool>("--allow-unsealed-memory")
        {
            Description = "Accept guest memory the frontend could shrink (a /dev/shm or hugetlbfs file; QEMU's memory-backend-memfd is sealed): a frontend that shrinks it kills glue",
        };
        var command = new Command(CommandName(feature), $"Serve one {feature.Name} device, made from the options `glue run` takes") { socket, unsealed };
        foreach (var option in options) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var values = DeviceOptions.Values(parse, options);
            // A device whose one option is its own name (`--rng`, `--console`) needs none here: asking for the device says it.
            if (DeviceOptions.NoneGiven(parse, options) && options is [var only] && only.Name == "--" + CommandName(feature))
                values = new DeviceOptionValues(new Dictionary<string, string[]> { [options[0].Name] = [""] });
            return Execute(feature, backend, parse.GetValue(socket)!, values, parse.GetValue(verbose), parse.GetValue(unsealed));
        });
        return command;
    }

    private static int Execute(IVirtioDeviceFeature feature, IVirtioBackendFeature backend, string socketPath, DeviceOptionValues values, bool verbose, bool allowUnsealedMemory)
    {
        var stopping = new StopRequest();
        using var sigterm = StopOn(PosixSignal.SIGTERM, stopping);
        using var sigint = StopOn(PosixSignal.SIGINT, stopping);
        IVirtioDevice? device = null;
        Action<string> log = message => Console.Error.WriteLine($"glue: {message}");
        try
        {
            if (UnixSocketPath.Problem(socketPath, "--socket") is { } problem) return ErrorReport.Usage(problem);
            device = CreateOne(feature, values);
            // A display device's picture also goes to the frontend's display (QEMU's vhost-user-gpu), over the socket it hands over.
            using var mirror = device is IDisplayDevice display ? new VhostUserGpuMirror(display.Surface, log) : null;
            using var server = backend.Listen(socketPath, device, log, verbose, allowUnsealedMemory, mirror is null ? null : mirror.Replace);
            stopping.Server = server;
            if (stopping.Requested) return ExitCodes.Success;
            if (verbose) Console.Error.WriteLine($"glue: serving {feature.Name} on {Path.GetFullPath(socketPath)}");
            server.Serve();
            return ExitCodes.Success;
        }
        catch (DeviceConfigException e)
        {
            return ErrorReport.Usage(e.Message);
        }
        catch (NativeError e)
        {
            return ErrorReport.Fail(e.Message, ExitCodes.VmFailed);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
        {
            return ErrorReport.Usage($"--socket {socketPath}: cannot listen there: {e.Message}");
        }
        finally
        {
            stopping.Server = null;
            (device as IDisposable)?.Dispose();
        }
    }

    private static IVirtioDevice CreateOne(IVirtioDeviceFeature feature, DeviceOptionValues values)
    {
        var devices = feature.Create(values);
        if (devices.Count == 1) return devices[0];
        foreach (var extra in devices) (extra as IDisposable)?.Dispose();
        string options = string.Join(", ", feature.Options.Select(o => o.Name));
        throw new DeviceConfigException(devices.Count == 0
            ? $"glue device {CommandName(feature)} makes no device from these options: give {options}"
            : $"glue device serves exactly one device; these options make {devices.Count}");
    }

    private static PosixSignalRegistration StopOn(PosixSignal signal, StopRequest stopping) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            stopping.Requested = true;
            stopping.Server?.Stop();
        });

    private sealed class StopRequest
    {
        public volatile bool Requested;
        public volatile IVirtioBackend? Server;
    }
}
