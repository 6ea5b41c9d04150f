using System.Text;

namespace Glue;

/// <summary>
/// glue's completion for fish: one `complete` line for each option and word of each command, under the condition
/// that the words before the cursor name that command; file names only where an option or argument takes one.
/// </summary>
internal static class FishCompletion
{
    public static string Script(IReadOnlyList<CompletionCommand> commands, string header)
    {
        var script = new StringBuilder();
        script.Append($$"""
            # {{header}}
            function __glue_command --description 'The glue command the words before the cursor name: glue, glue run, glue device blk, ...'
                set -l glue_words (commandline -opc)
                set -e glue_words[1]
                set -l glue_command glue
                for word in $glue_words
                    switch "$glue_command $word"
                        case {{string.Join(' ', commands.Skip(1).Select(c => Quote(c.Path)))}}
                            set glue_command "$glue_command $word"
                    end
                end
                echo $glue_command
            end
            function __glue_command_is
                test (__glue_command) = "$argv[1]"
            end
            complete -c glue -e
            complete -c glue -f

            """);
        foreach (var command in commands)
        {
            string condition = $"complete -c glue -n {Quote($"__glue_command_is \"{command.Path}\"")}";
            foreach (var option in command.Options.Where(o => o.Names.Count > 0))
            {
                string value = !option.TakesValue ? "" : option.Values.Count > 0 ? $" -x -a {Quote(string.Join(' ', option.Values))}" : " -r -F";
                script.AppendLine($"{condition}{string.Concat(option.Names.Select(Flag))}{value} -d {Quote(option.Description)}");
            }
            foreach (var word in command.Words) script.AppendLine($"{condition} -a {Quote(word.Text)} -d {Quote(word.Description)}");
            if (command.TakesFiles) script.AppendLine($"{condition} -F");
        }
        return script.ToString();
    }

    /// <summary>`-k` is fish's -s k, `--kernel` its -l kernel, and a longer name with one dash its -o.</summary>
    private static string Flag(string name) =>
        name.StartsWith("--", StringComparison.Ordinal) ? $" -l {name[2..]}" : name.Length == 2 ? $" -s {name[1..]}" : $" -o {name[1..]}";

    private static string Quote(string text) => $"'{text.Replace("\\", "\\\\").Replace("'", "\\'")}'";
}
