using System.CommandLine;
using System.CommandLine.Invocation;

namespace Glue;

/// <summary>
/// `-V, --version`, on glue and on every command under it (as clap gives each subcommand -V): prints
/// <see cref="VersionText"/> and exits 0 in place of the command.
/// </summary>
internal sealed class VersionFlag : SynchronousCommandLineAction
{
    public static Option<bool> Create() => new("--version", "-V")
    {
        Description = "Print the version, the manifest and the devices and transports compiled in",
        Recursive = true,
        Action = new VersionFlag(),
    };

    public override int Invoke(ParseResult parseResult)
    {
        Console.WriteLine(VersionText.Build());
        return ExitCodes.Success;
    }
}
