namespace Glue.Build;

/// <summary>One run of a test project: what its trx file counted, and what went wrong, if anything did.</summary>
public sealed record TestRun(string Name, TestCounts? Counts, string? Problem)
{
    /// <summary>
    /// A run fails when its tests fail, and also when it fails without saying so in results: a build error,
    /// a crashed test host, a manifest that would not publish.
    /// </summary>
    public bool Failed => Problem is not null || Counts is { Failed: > 0 };

    public static TestRun Finished(string name, int exitStatus, TestCounts? counts) =>
        new(name, counts, exitStatus != 0 ? $"dotnet test exited with status {exitStatus}"
            : counts is null ? "dotnet test wrote no results" : null);
}
