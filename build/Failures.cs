namespace Glue.Build;

/// <summary>The command line asked for something the build program does not offer (exit status 2).</summary>
public sealed class UsageError(string message) : Exception(message);

/// <summary>A step of the build failed (exit status 1); the step's own output already said why.</summary>
public sealed class BuildFailure(string message) : Exception(message);
