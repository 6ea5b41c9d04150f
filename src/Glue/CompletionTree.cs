using System.CommandLine;
using System.CommandLine.Completions;

namespace Glue;

/// <summary>A word a completion offers, and the line that describes it (empty when nothing does).</summary>
internal sealed record CompletionWord(string Text, string Description);

/// <summary>An option as completion sees it: its names, and whether a value follows it, from a list or else a file name.</summary>
internal sealed record CompletionOption(IReadOnlyList<string> Names, string Description, bool TakesValue, IReadOnlyList<string> Values);

/// <summary>
/// One command as completion sees it: the words that name it (`glue device blk`), its options (those of the commands
/// above it that reach it included), the words that may follow it (its subcommands and its arguments' values), and
/// whether an argument of it is a file name.
/// </summary>
internal sealed record CompletionCommand(string Path, IReadOnlyList<CompletionOption> Options, IReadOnlyList<CompletionWord> Words, bool TakesFiles);

/// <summary>
/// The command tree, walked from the root each time a script is made: a script holds exactly this build's commands
/// and options, and cannot go stale as they change.
/// </summary>
internal static class CompletionTree
{
    public static IReadOnlyList<CompletionCommand> Walk(RootCommand root)
    {
        var commands = new List<CompletionCommand>();
        Walk(root, "glue", [], commands);
        return commands;
    }

    private static void Walk(Command command, string path, IReadOnlyList<Option> inherited, List<CompletionCommand> commands)
    {
        var options = command.Options.Concat(inherited).Where(option => !option.Hidden).Distinct().Select(Describe).ToList();
        var subcommands = command.Subcommands.Where(subcommand => !subcommand.Hidden).ToList();
        var values = command.Arguments.Where(argument => !argument.Hidden)
            .Select(argument => argument.GetCompletions(CompletionContext.Empty).Select(item => new CompletionWord(item.Label, FirstLine(item.Documentation))).ToList())
            .ToList();
        var words = subcommands.Select(subcommand => new CompletionWord(subcommand.Name, FirstLine(subcommand.Description))).Concat(values.SelectMany(v => v)).ToList();
        commands.Add(new CompletionCommand(path, options, words, TakesFiles: values.Any(v => v.Count == 0)));
        var reaching = inherited.Concat(command.Options.Where(option => option.Recursive)).ToList();
        foreach (var subcommand in subcommands) Walk(subcommand, $"{path} {subcommand.Name}", reaching, commands);
    }

    private static CompletionOption Describe(Option option)
    {
        bool takesValue = option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool);
        // Names the shells take as they are: `-?` (help's third name) would be a glob in a word list.
        var names = option.Aliases.Append(option.Name).Where(name => name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')).ToList();
        var values = takesValue ? option.GetCompletions(CompletionContext.Empty).Select(item => item.Label).ToList() : [];
        return new CompletionOption(names, FirstLine(option.Description), takesValue, values);
    }

    private static string FirstLine(string? text) => (text ?? "").Split('\n')[0].Trim();
}
