using System.Xml.Linq;

namespace Glue.Build;

/// <summary>How many tests passed, failed and were skipped, added up over several `dotnet test` runs.</summary>
public sealed record TestCounts(int Passed, int Failed, int Skipped)
{
    public static readonly TestCounts None = new(0, 0, 0);

    public static TestCounts operator +(TestCounts a, TestCounts b) =>
        new(a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped);

    /// <summary>
    /// Counts each result's outcome rather than the summary's counters, whose "notExecuted" stays 0 for skipped
    /// xunit tests. Anything neither passed nor skipped (Error, Timeout, Aborted) is a failure.
    /// </summary>
    public static TestCounts FromTrx(string path)
    {
        var outcomes = XDocument.Load(path).Descendants()
            .Where(element => element.Name.LocalName == "UnitTestResult")
            .Select(result => (string?)result.Attribute("outcome") ?? "")
            .ToList();
        var passed = outcomes.Count(outcome => outcome == "Passed");
        var skipped = outcomes.Count(outcome => outcome == "NotExecuted");
        return new TestCounts(passed, outcomes.Count - passed - skipped, skipped);
    }

    /// <summary>The plain closing line CI reads: "N passed, N failed, N skipped".</summary>
    public override string ToString() => $"{Passed} passed, {Failed} failed, {Skipped} skipped";
}
