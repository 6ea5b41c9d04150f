using System.Xml.Linq;

namespace Glue.Build;

/// <summary>One test method's failures in a trx file: how many of its results (a theory has one per case) failed, and the first one's message.</summary>
public sealed record TrxFailure(int Results, string Message);

/// <summary>The tests a trx file records as not passed and not skipped, by fully qualified method name.</summary>
public static class TrxFailures
{
    public static IReadOnlyDictionary<string, TrxFailure> Read(string path)
    {
        var document = XDocument.Load(path);
        var methods = document.Descendants().Where(element => element.Name.LocalName == "UnitTest")
            .ToDictionary(test => (string)test.Attribute("id")!, test => test.Elements().First(e => e.Name.LocalName == "TestMethod"));
        return document.Descendants()
            .Where(element => element.Name.LocalName == "UnitTestResult")
            .Where(result => (string?)result.Attribute("outcome") is not ("Passed" or "NotExecuted"))
            .Select(result => (Method: methods[(string)result.Attribute("testId")!], Message: MessageOf(result)))
            .GroupBy(failure => $"{(string)failure.Method.Attribute("className")!}.{(string)failure.Method.Attribute("name")!}")
            .ToDictionary(group => group.Key, group => new TrxFailure(group.Count(), group.First().Message));
    }

    private static string MessageOf(XElement result) =>
        result.Descendants().FirstOrDefault(element => element.Name.LocalName == "Message")?.Value.Trim() ?? "(no message)";
}
