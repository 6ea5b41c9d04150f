namespace Glue.Build;

/// <summary>A value given on the command line by name (`--manifest FILE`), which any target may read.</summary>
public sealed record Parameter(string Name, string ValueName, string Description);

/// <summary>
/// One ./build.sh command line, split as Nuke splits it: the target asked for (the first word that is neither a
/// parameter nor its value; null for the default target), each parameter's value, and the words left for the
/// target's own arguments. `--help` or `-h` anywhere asks for the list of targets and parameters.
/// </summary>
public sealed record Invocation(string? TargetName, IReadOnlyDictionary<Parameter, string> Values, IReadOnlyList<string> Arguments, bool Help)
{
    public string? this[Parameter parameter] => Values.GetValueOrDefault(parameter);

    public static Invocation Parse(IReadOnlyList<string> words, IReadOnlyList<Parameter> parameters)
    {
        string? target = null;
        var values = new Dictionary<Parameter, string>();
        var arguments = new List<string>();
        bool help = false;
        for (int i = 0; i < words.Count; i++)
        {
            var word = words[i];
            if (word is "--help" or "-h")
                help = true;
            else if (parameters.FirstOrDefault(p => p.Name == word) is { } parameter)
            {
                if (i + 1 == words.Count || words[i + 1].StartsWith('-'))
                    throw new UsageError($"{word} takes a value: {word} {parameter.ValueName}");
                if (!values.TryAdd(parameter, words[++i]))
                    throw new UsageError($"{word} is given twice");
            }
            else if (target is null && arguments.Count == 0 && !word.StartsWith('-'))
                target = word;
            else
                arguments.Add(word);
        }
        return new Invocation(target, values, arguments, help);
    }
}
