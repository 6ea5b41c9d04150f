namespace Glue.Bench;

/// <summary>A run, a case's preparation or a tool the bench needs failed: the case's row says why (exit status 1).</summary>
public sealed class BenchFailure(string message) : Exception(message);

/// <summary>The bench was asked for something it does not have, such as a case by a wrong name (exit status 2).</summary>
public sealed class BenchUsageError(string message) : Exception(message);
