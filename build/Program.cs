using Glue.Build;

try
{
    return Targets.Run(Repository.Locate(), args);
}
catch (UsageError error)
{
    Console.Error.WriteLine($"build: {error.Message}");
    return 2;
}
// A failed step or a broken manifest explains itself in one line; any other exception is a bug in this
// program and keeps its stack trace.
catch (Exception error) when (error is BuildFailure or InvalidDataException or DirectoryNotFoundException)
{
    Console.Error.WriteLine($"build: {error.Message}");
    return 1;
}
