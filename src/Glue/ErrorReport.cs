namespace Glue;

/// <summary>Every error glue reports is one line on stderr, "glue: ...", and an exit status.</summary>
internal static class ErrorReport
{
    public static int Usage(string message) => Fail(message, ExitCodes.BadInput);

    public static int Fail(string message, int exitCode)
    {
        Console.Error.WriteLine($"glue: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }
}
