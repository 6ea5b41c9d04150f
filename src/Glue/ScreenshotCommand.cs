using System.CommandLine;
using System.Text;
using Glue.Core.Control;
using Glue.Display;

namespace Glue;

/// <summary>
/// `glue screenshot -n NAME FILE.png`: the VM's current screen as a PNG. The VM process writes the file (the path is
/// made absolute here, since the VM's working directory is not ours), as QEMU's screendump does.
/// </summary>
internal static class ScreenshotCommand
{
    public static Command Create()
    {
        var vmName = new Option<string>("--name", "-n") { Description = "Name of the VM", Required = true };
        var file = new Argument<string>("FILE") { Description = "The PNG file to write (replaced if it exists)" };
        var command = new Command("screenshot", "Write a VM's screen to a PNG file (the VM needs a display: --gpu)") { vmName, file };
        command.SetAction(parse => Take(parse.GetValue(vmName)!, parse.GetValue(file)!));
        return command;
    }

    private static int Take(string name, string file)
    {
        if (!RuntimeDirectory.IsValidName(name)) return ErrorReport.Usage($"invalid VM name '{name}'");
        if (file.Length == 0) return ErrorReport.Usage("screenshot needs a file name, e.g. screen.png");
        var path = Encoding.UTF8.GetBytes(Path.GetFullPath(file));
        if (path.Length > ControlProtocol.MaxPayload) return ErrorReport.Usage($"the path {file} is longer than {ControlProtocol.MaxPayload} bytes");
        try
        {
            var reply = ControlClient.Request(name, ScreenshotRequest.Type, path);
            return reply?.Status switch
            {
                null => ErrorReport.Fail($"no VM named '{name}'", ExitCodes.NoSuchVm),
                ControlStatus.Ok => ExitCodes.Success,
                ControlStatus.BadRequest => ErrorReport.Usage($"VM '{name}' has no display: start it with --gpu to take screenshots"),
                ControlStatus.Refused => ErrorReport.Usage(Encoding.UTF8.GetString(reply.Value.Payload)),
                var status => ErrorReport.Fail($"VM '{name}' refused the request: {status}", ExitCodes.VmFailed),
            };
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return ErrorReport.Fail($"VM '{name}': {e.Message}", ExitCodes.VmFailed);
        }
    }
}
