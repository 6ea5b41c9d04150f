namespace Glue.Build;

/// <summary>
/// Runs the build tests, and in the software KVM host runs each failed test once more: the emulated SVM hangs or
/// faults a guest now and then (tests/host/README.md), where hardware does not. Only a failure that repeats counts;
/// a test that passes the second time counts as passed, and every such retry is named in the output and counted
/// in the line before the closing counts. When the host itself failed and was restarted during that second run,
/// the run proved nothing about the tests it held, so what failed in it runs a third time. On hardware KVM nothing
/// is retried.
/// </summary>
public sealed class TestRetries(BuildSteps steps, Repository repository, SoftwareKvmHost? host)
{
    private const int MostRuns = 3;

    private readonly List<string> _passedOnRetry = [];
    private readonly List<(string Test, string Message)> _failedAgain = [];

    public TestRun Test(string runName, string filter, IReadOnlyDictionary<string, string> environment)
    {
        var first = steps.Test(repository.BuildTestProject, runName, ["--no-build", "--filter", filter], environment);
        var trx = Path.Combine(repository.TestResults, runName + ".trx");
        if (host is null || first.Counts is not { Failed: > 0 } counts || first.Problem is not null && !File.Exists(trx))
            return first;
        var failed = TrxFailures.Read(trx);
        var still = failed;
        for (int run = 2; run <= MostRuns && still.Count > 0; run++)
        {
            int restarts = host.Restarts;
            Console.WriteLine($"build: {still.Count} test(s) of '{runName}' failed in the software KVM host; running them again (run {run}): {string.Join(", ", still.Keys)}");
            string retryName = run == 2 ? $"{runName}-retry" : $"{runName}-retry{run - 1}";
            var only = string.Join('|', still.Keys.Select(name => $"FullyQualifiedName={name}"));
            var retry = steps.Test(repository.BuildTestProject, retryName, ["--no-build", "--filter", $"({filter})&({only})"], environment);
            var retryTrx = Path.Combine(repository.TestResults, retryName + ".trx");
            if (retry.Counts is null || !File.Exists(retryTrx))
                return first;
            still = TrxFailures.Read(retryTrx);
            if (host.Restarts == restarts)
                break;
        }
        int recovered = 0;
        foreach (var (name, failure) in failed)
        {
            if (still.TryGetValue(name, out var again))
            {
                _failedAgain.Add(($"{name} in '{runName}'", again.Message));
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
    /// The retries' lines, before the closing counts: how many passed when run again and how many failed again, and
    /// which; then each repeated failure's message, so that the end of the output (all a CI log may keep) says why.
    /// </summary>
    public void Report(SoftwareKvmHost? running)
    {
        if (running is null)
            return;
        Console.WriteLine($"software KVM host: {running.Restarts} restart(s); {_passedOnRetry.Count} test(s) failed once and passed when run again" +
            (_passedOnRetry.Count > 0 ? $" ({string.Join(", ", _passedOnRetry)})" : "") +
            $"; {_failedAgain.Count} failed again");
        foreach (var (test, message) in _failedAgain)
            Console.WriteLine($"failed again: {test}: {(message.Length <= 2000 ? message : message[..2000] + "...")}");
    }
}
