using System.CommandLine;
using Glue.Core.Control;

namespace Glue;

/// <summary>`glue pause | resume | stop`: one request to named VMs through their control sockets.</summary>
internal static class ControlCommands
{
    public static Command Create(string name, string description, ControlRequest request)
    {
        var vmName = new Option<string?>("--name", "-n") { Description = "Name of the VM" };
        var all = new Option<bool>("--all") { Description = "Every VM of this user" };
        var command = new Command(name, description) { vmName, all };
        command.SetAction(parse =>
        {
            string? target = parse.GetValue(vmName);
            bool every = parse.GetValue(all);
            if ((target is null) == !every) return ErrorReport.Usage($"{name} needs either --name NAME or --all");
            IReadOnlyList<string> names;
            try
            {
                names = every ? RuntimeDirectory.SocketNames() : [target!];
            }
            catch (RuntimeDirectoryException e)
            {
                return ErrorReport.Usage(e.Message);
            }
            int exitCode = ExitCodes.Success;
            foreach (string vm in names)
            {
                int result = SendOne(vm, request);
                if (result != ExitCodes.Success) exitCode = result;
            }
            return exitCode;
        });
        return command;
    }

    private static int SendOne(string name, ControlRequest request)
    {
        if (!RuntimeDirectory.IsValidName(name)) return ErrorReport.Usage($"invalid VM name '{name}': a name is {RuntimeDirectory.NameRule}");
        try
        {
            var reply = ControlClient.Send(name, request);
            return reply?.Status switch
            {
                null => ErrorReport.Fail($"no VM named '{name}'", ExitCodes.NoSuchVm),
                ControlStatus.Ok => ExitCodes.Success,
                ControlStatus.AlreadyPaused => ErrorReport.Fail($"VM '{name}' is already paused", ExitCodes.WrongState),
                ControlStatus.NotPaused => ErrorReport.Fail($"VM '{name}' is not paused", ExitCodes.WrongState),
                var status => ErrorReport.Fail($"VM '{name}' refused the request: {status}", ExitCodes.VmFailed),
            };
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return ErrorReport.Fail($"VM '{name}': {e.Message}", ExitCodes.VmFailed);
        }
        catch (RuntimeDirectoryException e)
        {
            return ErrorReport.Usage(e.Message);
        }
    }
}
