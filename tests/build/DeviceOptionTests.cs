using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// Device options on the command line: a value given to a single-valued option reaches the device, a flag
/// alone counts, and a single-valued option given twice is refused (tests/guest's `rng` key says what to expect).
/// </summary>
[Trait("Transport", "virtio-mmio"), Trait("Device", "rng"), Trait("Device", "serial"), Trait("Device", "i8042")]
public class DeviceOptionTests
{
    [KvmTheory]
    [InlineData("on", "glue.rng=1")]
    [InlineData("", "glue.rng=1")]
    [InlineData("off", "glue.rng=0")]
    public async Task A_single_valued_option_takes_its_value_or_stands_alone_as_a_flag(string value, string expectation)
    {
        string[] option = value.Length == 0 ? ["--rng", "--virtio-transport", "mmio"] : ["--rng", value, "--virtio-transport", "mmio"];
        var run = await GlueBinary.BootAsync(expectation, option);
        GuestAssert.AllPassed(run, 0, "rng");
    }

    [KvmFact]
    public async Task A_single_valued_option_given_twice_is_a_usage_error()
    {
        var run = await GlueBinary.BootAsync("", "--rng", "on", "--rng", "off");
        Assert.True(run.ExitCode == 2 && run.Stderr is [var line] && line.Contains("--rng may be given once"),
            $"expected exit 2 and one line saying --rng may be given once; {run.Describe()}");
    }
}
