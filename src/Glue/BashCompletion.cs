using System.Text;

namespace Glue;

/// <summary>
/// glue's completion for bash: the words before the cursor that name commands choose the command; then the word being
/// typed gets that command's options (when it starts with -), the values of the option before it, or the words that
/// may follow the command (its options when none do). Where a file name goes, the script offers nothing and bash's own
/// file-name completion (-o default) takes over.
/// </summary>
internal static class BashCompletion
{
    public static string Script(IReadOnlyList<CompletionCommand> commands, string header)
    {
        var script = new StringBuilder();
        script.Append($$"""
            # {{header}}
            _glue() {
                local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} glue_command=glue i
                for ((i = 1; i < COMP_CWORD; i++)); do
                    case "$glue_command ${COMP_WORDS[i]}" in
                        {{string.Join('|', commands.Skip(1).Select(c => Quote(c.Path)))}}) glue_command="$glue_command ${COMP_WORDS[i]}" ;;
                    esac
                done
                local glue_options='' glue_words='' glue_values='' glue_files=false
                case $glue_command in

            """);
        foreach (var command in commands)
        {
            script.AppendLine($"        {Quote(command.Path)})");
            script.AppendLine($"            glue_options={Quote(string.Join(' ', command.Options.SelectMany(o => o.Names)))}");
            if (command.Words.Count > 0) script.AppendLine($"            glue_words={Quote(string.Join(' ', command.Words.Select(w => w.Text)))}");
            if (command.TakesFiles) script.AppendLine("            glue_files=true");
            var valued = command.Options.Where(o => o.TakesValue && o.Names.Count > 0).ToList();
            if (valued.Count > 0)
            {
                script.AppendLine("            case $prev in");
                foreach (var option in valued)
                {
                    string value = option.Values.Count > 0 ? $"glue_values={Quote(string.Join(' ', option.Values))}" : "glue_files=true";
                    script.AppendLine($"                {string.Join('|', option.Names)}) {value} ;;");
                }
                script.AppendLine("            esac");
            }
            script.AppendLine("            ;;");
        }
        script.Append("""
                esac
                if [[ $cur == -* ]]; then
                    COMPREPLY=($(compgen -W "$glue_options" -- "$cur"))
                elif [[ -n $glue_values ]]; then
                    COMPREPLY=($(compgen -W "$glue_values" -- "$cur"))
                elif ! $glue_files; then
                    COMPREPLY=($(compgen -W "${glue_words:-$glue_options}" -- "$cur"))
                fi
            }
            complete -o bashdefault -o default -F _glue glue

            """);
        return script.ToString();
    }

    private static string Quote(string text) => $"'{text.Replace("'", "'\\''")}'";
}
