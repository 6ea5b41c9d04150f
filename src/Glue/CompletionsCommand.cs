using System.CommandLine;

namespace Glue;

/// <summary>`glue completions bash|zsh|fish`: a completion script for the shell, made from this build's command tree.</summary>
internal static class CompletionsCommand
{
    private static readonly (string Name, Func<IReadOnlyList<CompletionCommand>, string, string> Script)[] Shells =
        [("bash", BashCompletion.Script), ("zsh", ZshCompletion.Script), ("fish", FishCompletion.Script)];

    /// <summary>"bash, zsh or fish".</summary>
    private static readonly string Names = $"{string.Join(", ", Shells[..^1].Select(s => s.Name))} or {Shells[^1].Name}";

    public static Command Create(RootCommand root)
    {
        var shell = new Argument<string>("SHELL") { Description = "The shell the script is for", HelpName = string.Join('|', Shells.Select(s => s.Name)) };
        shell.CompletionSources.Add(Shells.Select(s => s.Name).ToArray());
        var command = new Command("completions", $"Print a completion script for {Names} (docs/command-line.md says how to install it)") { shell };
        command.SetAction(parse =>
        {
            string name = parse.GetValue(shell)!;
            if (Shells.FirstOrDefault(s => s.Name == name).Script is not { } script)
                return ErrorReport.Usage($"completions {name}: no such shell; glue writes completions for {Names}");
            // A binary of another manifest has other commands and options: its script is made again from it.
            string header = $"{name} completion for glue: the commands and options of a build of manifest {DeviceRegistry.ManifestName}, by `glue completions {name}`";
            Console.Write(script(CompletionTree.Walk(root), header));
            return ExitCodes.Success;
        });
        return command;
    }
}
