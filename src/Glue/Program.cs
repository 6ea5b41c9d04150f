using System.CommandLine;
using System.CommandLine.Help;
using Glue;
using Glue.Core.Control;

// glue [-v] <command>: each `glue run` process is one VM.
var verbose = new Option<bool>("--verbose", "-v") { Description = "Print start-up timings and how the VM ended", Recursive = true };
var version = new Option<bool>("--version") { Description = "Print the version, the manifest and the devices compiled in" };

var root = new RootCommand(ExitCodes.Describe("Glue: a KVM virtual machine monitor."));
root.Options.Remove(root.Options.OfType<VersionOption>().Single());
root.Options.Add(verbose);
root.Options.Add(version);
root.Subcommands.Add(RunCommand.Create(verbose));
root.Subcommands.Add(ControlCommands.Create("pause", "Pause a running VM: its vCPUs stop until resume", ControlRequest.Pause));
root.Subcommands.Add(ControlCommands.Create("resume", "Resume a paused VM", ControlRequest.Resume));
root.Subcommands.Add(ControlCommands.Create("stop", "Stop a VM cleanly: devices flush, glue run exits 0", ControlRequest.Stop));
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(ScreenshotCommand.Create());
if (DeviceCommand.Create(verbose) is { } device) root.Subcommands.Add(device);
root.SetAction(parse =>
{
    if (!parse.GetValue(version)) return ErrorReport.Usage("a command is required (see glue --help)");
    Console.WriteLine(VersionText.Build());
    return ExitCodes.Success;
});

var result = root.Parse(args);
if (result.Errors.Count > 0 && result.Action is not HelpAction)
{
    return ErrorReport.Usage($"{result.Errors[0].Message} (see glue --help)");
}
return result.Invoke();
