namespace Glue.Build;

/// <summary>
/// Runs the build tests, and in the software KVM host runs each failed test once more: the emulated SVM hangs or
/// faults a guest now and then (tests/host/README.md), where hardware does not. Only a failure that repeats counts;
/// a test that passes the second time counts as passed, and every such retry is named in the output and counted
/// in the line before the closing counts. On hardware KVM nothing is retried.
/// </summary>
public sealed class TestRetries(BuildSteps steps, Repository repository, SoftwareKvmHost? host)
{
    private readonly List<string> _passedOnRetry = [];
    private readonly List<(string Test, string Message)> _failedTwice = [];

    public TestRun Test(string runName, string filter, IReadOnlyDictionary<string, string> environment)
    {
        var first = steps.Test(repository.BuildTestProject, runName, ["--no-build", "--filter", filter], environment);
        var trx = Path.Combine(repository.TestResults, runName + ".trx");
        if (host is null || first.Counts is not { Failed: > 0 } counts || first.Problem is not null && !File.Exists(trx))
            return first;
        var failed = TrxFailures.Read(trx);
        Console.WriteLine($"build: {failed.Count} test(s) of '{runName}' failed in the software KVM host; running them once more: {string.Join(", ", failed.Keys)}");
        var only = string.Join('|', failed.Keys.Select(name => $"FullyQualifiedName={name}"));
        var second = steps.Test(repository.BuildTestProject, runName + "-retry", ["--no-build", "--filter", $"({filter})&({only})"], environment);
        var retryTrx = Path.Combine(repository.TestResults, runName + "-retry.trx");
        if (second.Counts is null || !File.Exists(retryTrx))
            return first;
        var again = TrxFailures.Read(retryTrx);
        int recovered = 0;
        foreach (var (name, failure) in failed)
        {
            if (again.ContainsKey(name))
            {
                _failedTwice.Add(($"{name} in '{runName}'", again[name].Message));
            }
            else
            {
                _passedOnRetry.Add($"{name} in '{runName}'");
                recovered += failure.Results;
            }
        }
        var adjusted = counts with { Passed = counts.Passed + recovered, Failed = counts.Failed - recovered };
        return TestRun.Finished(runName, adjusted.Failed > 0 ? 1 : 0, adjusted);
    }

    /// <summary>
    /// The retries' lines, before the closing counts: how many passed the second time and how many failed again, and
    /// which; then each repeated failure's message, so that the end of the output (all a CI log may keep) says why.
    /// </summary>
    public void Report(SoftwareKvmHost? running)
    {
        if (running is null)
            return;
        Console.WriteLine($"software KVM host: {running.Restarts} restart(s); {_passedOnRetry.Count} test(s) failed once and passed when run again" +
            (_passedOnRetry.Count > 0 ? $" ({string.Join(", ", _passedOnRetry)})" : "") +
            $"; {_failedTwice.Count} failed twice");
        foreach (var (test, message) in _failedTwice)
            Console.WriteLine($"failed twice: {test}: {(message.Length <= 2000 ? message : message[..2000] + "...")}");
    }
}
