using System.Xml.Linq;

namespace Glue.Build;

/// <summary>The tests a trx file records as not passed and not skipped: each method's fully qualified name, with how many of its results (a theory has one per case) failed.</summary>
public static class TrxFailures
{
    public static IReadOnlyDictionary<string, int> Read(string path)
    {
        var document = XDocument.Load(path);
        var methods = document.Descendants().Where(element => element.Name.LocalName == "UnitTest")
            .ToDictionary(test => (string)test.Attribute("id")!, test => test.Elements().First(e => e.Name.LocalName == "TestMethod"));
        return document.Descendants()
            .Where(element => element.Name.LocalName == "UnitTestResult")
            .Where(result => (string?)result.Attribute("outcome") is not ("Passed" or "NotExecuted"))
            .Select(result => methods[(string)result.Attribute("testId")!])
            .Select(method => $"{(string)method.Attribute("className")!}.{(string)method.Attribute("name")!}")
            .GroupBy(name => name)
            .ToDictionary(group => group.Key, group => group.Count());
    }
}
