using System.Text;

namespace Glue;

/// <summary>
/// glue's completion for zsh, chosen as bash's is (<see cref="BashCompletion"/>) and shown with each option's and
/// command's description. It works from a file `_glue` on $fpath (compinit reads the #compdef line) or sourced.
/// </summary>
internal static class ZshCompletion
{
    public static string Script(IReadOnlyList<CompletionCommand> commands, string header)
    {
        var script = new StringBuilder();
        script.Append($$"""
            #compdef glue
            # {{header}}
            _glue() {
                local cur=${words[CURRENT]} prev=${words[CURRENT-1]} glue_command=glue i
                for ((i = 2; i < CURRENT; i++)); do
                    case "$glue_command ${words[i]}" in
                        ({{string.Join('|', commands.Skip(1).Select(c => Quote(c.Path)))}}) glue_command="$glue_command ${words[i]}" ;;
                    esac
                done
                local -a glue_options glue_words glue_values
                local glue_files=false
                case $glue_command in

            """);
        foreach (var command in commands)
        {
            var options = command.Options.SelectMany(o => o.Names.Select(name => new CompletionWord(name, o.Description)));
            script.AppendLine($"        ({Quote(command.Path)})");
            script.AppendLine($"            glue_options=({string.Join(' ', options.Select(Described))})");
            if (command.Words.Count > 0) script.AppendLine($"            glue_words=({string.Join(' ', command.Words.Select(Described))})");
            if (command.TakesFiles) script.AppendLine("            glue_files=true");
            var valued = command.Options.Where(o => o.TakesValue && o.Names.Count > 0).ToList();
            if (valued.Count > 0)
            {
                script.AppendLine("            case $prev in");
                foreach (var option in valued)
                {
                    string value = option.Values.Count > 0 ? $"glue_values=({string.Join(' ', option.Values.Select(Quote))})" : "glue_files=true";
                    script.AppendLine($"                ({string.Join('|', option.Names)}) {value} ;;");
                }
                script.AppendLine("            esac");
            }
            script.AppendLine("            ;;");
        }
        script.Append("""
                esac
                if [[ $cur == -* ]]; then
                    _describe -t options option glue_options
                elif (( $#glue_values )); then
                    compadd -a glue_values
                elif $glue_files; then
                    _files
                elif (( $#glue_words )); then
                    _describe -t commands command glue_words
                else
                    _describe -t options option glue_options
                fi
            }
            if [[ $funcstack[1] == _glue ]]; then
                _glue "$@"
            else
                compdef _glue glue
            fi

            """);
        return script.ToString();
    }

    /// <summary>`_describe`'s "word:description", where a colon in the word is escaped.</summary>
    private static string Described(CompletionWord word) =>
        Quote(word.Description.Length == 0 ? word.Text.Replace(":", "\\:") : $"{word.Text.Replace(":", "\\:")}:{word.Description}");

    private static string Quote(string text) => $"'{text.Replace("'", "'\\''")}'";
}
