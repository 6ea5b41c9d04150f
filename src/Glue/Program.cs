using System.CommandLine;
using Glue;
using Glue.Core.Control;
using Glue.Core.Terminal;

// glue [-h] [-V] [-v] <command>: each `glue run` process is one VM.
StandardStream.Guard();
RuntimeDiagnostics.Close();
var verbose = new Option<bool>("--verbose", "-v") { Description = "Print start-up timings and how the VM ended", Recursive = true };

var root = new RootCommand(ExitCodes.Describe("Glue: a KVM virtual machine monitor."));
root.Options.Remove(root.Options.OfType<VersionOption>().Single());
root.Options.Add(verbose);
root.Options.Add(VersionFlag.Create());
root.Subcommands.Add(RunCommand.Create(verbose));
root.Subcommands.Add(ControlCommands.Create("pause", "Pause a running VM: its vCPUs stop until resume", ControlRequest.Pause));
root.Subcommands.Add(ControlCommands.Create("resume", "Resume a paused VM", ControlRequest.Resume));
root.Subcommands.Add(ControlCommands.Create("stop", "Stop a VM cleanly: devices flush, glue run exits 0", ControlRequest.Stop));
root.Subcommands.Add(SnapshotCommand.Create());
root.Subcommands.Add(ListCommand.Create());
root.Subcommands.Add(ScreenshotCommand.Create());
if (DeviceCommand.Create(verbose) is { } device) root.Subcommands.Add(device);
root.Subcommands.Add(HelpCommand.Create(root));
root.Subcommands.Add(CompletionsCommand.Create(root));
root.SetAction(_ => ErrorReport.Usage("a command is required (see glue --help)"));

var (result, error) = ArgumentReading.Read(root, args);
if (error is not null) return ErrorReport.Usage($"{error} (see glue --help)");
return result.Invoke();
