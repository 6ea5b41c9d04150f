namespace Glue.BuildTests;

/// <summary>One `GLUE-TEST &lt;name&gt; &lt;status&gt; &lt;detail&gt;` line: status is PASS, FAIL or START.</summary>
public sealed record GuestTest(string Name, string Status, string Detail);

/// <summary>The guest's closing `GLUE-TEST-DONE &lt;passed&gt; &lt;failed&gt;` line.</summary>
public sealed record GuestTotals(int Passed, int Failed);

/// <summary>What the test guest reported on its serial port, read from the lines glue printed on stdout.</summary>
public sealed record GuestReport(IReadOnlyDictionary<string, GuestTest> Tests, GuestTotals? Done)
{
    public static GuestReport Parse(IEnumerable<string> lines)
    {
        var tests = new Dictionary<string, GuestTest>();
        GuestTotals? done = null;
        foreach (var line in lines)
        {
            var words = line.Split(' ');
            if (words is ["GLUE-TEST", var name, var status, ..])
                tests[name] = new GuestTest(name, status, string.Join(' ', words[3..]));
            else if (words is ["GLUE-TEST-DONE", var passed, var failed] && int.TryParse(passed, out var p) && int.TryParse(failed, out var f))
                done = new GuestTotals(p, f);
        }
        return new GuestReport(tests, done);
    }

    public string? StatusOf(string test) => Tests.TryGetValue(test, out var result) ? result.Status : null;
}
