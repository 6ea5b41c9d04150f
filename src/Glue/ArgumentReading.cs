using System.CommandLine;
using System.CommandLine.Parsing;

namespace Glue;

/// <summary>
/// How glue reads its arguments, as clap does: in order, and the first -h/--help or -V/--version ends the reading.
/// What comes before it must still be right (an unknown command or option, or a bad value, is the error it always
/// is); what comes after it is not read; and nothing is required, since the command will not run. So `glue -V run`
/// and `glue run -V` print the version, `glue run --help` needs no --kernel, and `glue frobnicate -V` is an error.
/// </summary>
internal static class ArgumentReading
{
    /// <summary>The arguments parsed up to the first -h or -V (all of them when there is none), and the first error to report.</summary>
    public static (ParseResult Result, string? Error) Read(RootCommand root, IReadOnlyList<string> args)
    {
        var result = root.Parse(args);
        var stops = root.Options.Where(option => option.Action is not null).SelectMany(option => option.Aliases.Append(option.Name)).ToHashSet();
        int stop = result.Tokens.ToList().FindIndex(token => token.Type == TokenType.Option && stops.Contains(token.Value));
        if (stop < 0) return (result, result.Errors.FirstOrDefault()?.Message);
        // What came before is parsed on its own: System.CommandLine checks no value at all once it has seen -h.
        var words = result.Tokens.Select(token => token.Value).ToArray();
        var before = root.Parse(words[..stop]);
        // A command that takes unknown words itself (glue device NAME) has no error for them; before -h or -V they are one.
        string? error = before.Errors.FirstOrDefault(error => !NotGiven(error))?.Message
            ?? before.UnmatchedTokens.Select(token => $"Unrecognized command or argument '{token}'.").FirstOrDefault();
        return (root.Parse(words[..(stop + 1)]), error);
    }

    /// <summary>A required option or argument that is missing: clap checks those only once it has read every argument.</summary>
    private static bool NotGiven(ParseError error) => error.SymbolResult is OptionResult { Implicit: true } or ArgumentResult { Tokens.Count: 0 };
}
