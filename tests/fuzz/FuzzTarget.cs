namespace Glue.Fuzz;

/// <summary>
/// One fuzz target: a name (its corpus is tests/fuzz/corpus/NAME/), what it feeds, and its entry point. The
/// entry point takes any bytes; it returns normally for every input the code under test refuses or handles,
/// and throws only when Glue broke a rule (an unexpected exception, or an invariant the target checks such as
/// "the device wrote only into buffers the driver made writable"). AFL counts a throw as a crash.
/// </summary>
public sealed record FuzzTarget(string Name, string Feeds, Action<byte[]> Run);

/// <summary>An invariant a target checks was broken: a finding, not a refusal.</summary>
public sealed class FuzzInvariantException(string message) : Exception(message);
