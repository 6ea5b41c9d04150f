using System.CommandLine;
using Glue.Core.Devices;

namespace Glue;

/// <summary>A device's options on the command line, shared by `glue run` and `glue device`.</summary>
internal static class DeviceOptions
{
    /// <summary>
    /// A device's option as System.CommandLine sees it; its description ends with the device's name. Every one is a
    /// string[] taking one value per occurrence (System.CommandLine cannot parse a string[] of arity zero-or-one);
    /// one that is not repeatable is refused when given twice.
    /// </summary>
    public static Option<string[]> For(IDeviceFeature device, DeviceOption option)
    {
        var cli = new Option<string[]>(option.Name, option.Alias is null ? [] : [option.Alias])
        {
            Description = $"{option.Description} [{device.Name}]",
            Arity = ArgumentArity.ZeroOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        if (!option.Repeatable)
            cli.Validators.Add(result =>
            {
                if (result.Tokens.Count > 1) result.AddError($"{option.Name} may be given once");
            });
        return cli;
    }

    /// <summary>
    /// An option given without a value (a flag such as `--rng`) counts as one occurrence whose value is "", and so
    /// does the <paramref name="implied"/> option when it is absent. With <paramref name="verbose"/> (-v) the devices
    /// report to stderr as `glue: ...` lines.
    /// </summary>
    /// <param name="cpus">The VM's vCPUs (<see cref="DeviceOptionValues.Cpus"/>).</param>
    public static DeviceOptionValues Values(ParseResult parse, Option<string[]>[] options, bool verbose, string? implied = null, int cpus = 1) =>
        new(options.ToDictionary(o => o.Name, o => parse.GetValue(o) is { Length: > 0 } given ? given : parse.GetResult(o) is null && o.Name != implied ? [] : [""]))
        {
            Cpus = cpus,
            VerboseLog = verbose ? message => Console.Error.WriteLine($"glue: {message}") : null,
        };
}
