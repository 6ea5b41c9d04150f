using System.CommandLine;
using System.CommandLine.Completions;

namespace Glue;

/// <summary>`glue help [COMMAND...]`: what `glue --help` or `glue COMMAND... --help` prints (clap's help subcommand).</summary>
internal static class HelpCommand
{
    public static Command Create(RootCommand root)
    {
        var topic = new Argument<string[]>("COMMAND")
        {
            Description = "The command to describe, and its subcommand (glue help device blk)", HelpName = "COMMAND", Arity = ArgumentArity.ZeroOrMore,
        };
        topic.CompletionSources.Add(_ => Visible(root).Select(command => new CompletionItem(command.Name, documentation: command.Description)));
        var command = new Command("help", "Print this help, or the help of the given command") { topic };
        command.SetAction(parse =>
        {
            Command described = root;
            var path = new List<string>();
            foreach (string name in parse.GetValue(topic)!)
            {
                if (Visible(described).FirstOrDefault(c => c.Name == name || c.Aliases.Contains(name)) is not { } next)
                {
                    var names = Visible(described).Select(c => c.Name).ToList();
                    string has = names.Count == 0 ? "it has none" : $"its commands are {string.Join(", ", names)}";
                    return ErrorReport.Usage($"help: {string.Join(' ', path.Prepend("glue"))} has no command '{name}'; {has}");
                }
                described = next;
                path.Add(next.Name);
            }
            return root.Parse([.. path, "--help"]).Invoke();
        });
        return command;
    }

    private static IEnumerable<Command> Visible(Command command) => command.Subcommands.Where(c => !c.Hidden);
}
