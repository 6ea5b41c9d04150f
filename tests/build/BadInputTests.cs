using Xunit;

namespace Glue.BuildTests;

/// <summary>Bad input ends glue with status 2 and exactly one line on stderr that starts "glue: ".</summary>
public class BadInputTests
{
    [GlueFact]
    public Task Run_without_a_kernel_is_a_usage_error() => AssertUsageErrorAsync("run");

    [GlueFact]
    public async Task Missing_kernel_file_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync("run", "-k", Path.Combine(directory.Path, "no-such-kernel.elf"));
    }

    [GlueFact]
    public async Task Text_file_as_kernel_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync("run", "-k", directory.Write("kernel.txt", "this is not a kernel\n"u8.ToArray()));
    }

    [GlueFact]
    public async Task Random_bytes_as_kernel_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        var contents = new byte[64 * 1024];
        new Random(7).NextBytes(contents);
        await AssertUsageErrorAsync("run", "-k", directory.Write("kernel.bin", contents));
    }

    /// <summary>With the real guest as kernel, so that only the size can be what glue rejects.</summary>
    [BadInputTheory]
    [InlineData("-m", "0")]
    [InlineData("-m", "100000000")]
    [InlineData("-c", "0")]
    [InlineData("-c", "100000")]
    public Task Size_out_of_range_is_a_usage_error(string option, string value) =>
        AssertUsageErrorAsync("run", "-k", TestEnvironment.Guest, option, value);

    [BadInputFact]
    public async Task Missing_initrd_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync("run", "-k", TestEnvironment.Guest, "-i", Path.Combine(directory.Path, "no-such-initrd"));
    }

    [BadInputFact]
    public async Task Directory_as_initrd_is_a_usage_error()
    {
        using var directory = new TempDirectory();
        await AssertUsageErrorAsync("run", "-k", TestEnvironment.Guest, "-i", directory.Path);
    }

    /// <summary>With the real guest as kernel, so that a glue that ignored the option would boot it instead.</summary>
    [BadInputFact]
    public Task Unknown_option_is_a_usage_error() =>
        AssertUsageErrorAsync("run", "-k", TestEnvironment.Guest, "--no-such-option");

    private static async Task AssertUsageErrorAsync(params string[] arguments)
    {
        // Here, whatever KVM is: glue refuses bad input before it opens /dev/kvm.
        var run = await BoundedProcess.RunAsync(GlueInvocation.StartHere(arguments), BoundedProcess.DefaultLimit, null, BoundedProcess.StopBy.Kill);

        Assert.True(run.ExitCode == 2, $"expected exit status 2; {run.Describe()}");
        Assert.True(run.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal),
            $"expected exactly one stderr line starting 'glue: '; {run.Describe()}");
        GuestAssert.NoStackTrace(run);
    }
}
