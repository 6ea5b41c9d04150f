using System.CommandLine;
using Glue.Core.Devices;

namespace Glue;

/// <summary>A device's options on the command line, shared by `glue run` and `glue device`.</summary>
internal static class DeviceOptions
{
    /// <summary>A device's option as System.CommandLine sees it; its description ends with the device's name.</summary>
    public static Option<string[]> For(IDeviceFeature device, DeviceOption option) =>
        new(option.Name)
        {
            Description = $"{option.Description} [{device.Name}]",
            Arity = option.Repeatable ? ArgumentArity.ZeroOrMore : ArgumentArity.ZeroOrOne,
            AllowMultipleArgumentsPerToken = false,
        };

    /// <summary>An option given without a value (a flag such as `--rng`) counts as one occurrence whose value is "".</summary>
    public static DeviceOptionValues Values(ParseResult parse, Option<string[]>[] options) =>
        new(options.ToDictionary(o => o.Name, o => parse.GetValue(o) is { Length: > 0 } given ? given : parse.GetResult(o) is null ? [] : [""]));

    /// <summary>True when none of <paramref name="options"/> was given.</summary>
    public static bool NoneGiven(ParseResult parse, Option<string[]>[] options) => options.All(o => parse.GetResult(o) is null);
}
