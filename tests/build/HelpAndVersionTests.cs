using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The command line the design gives, on the binary of every manifest: `-V` beside `--version` on glue and on each
/// command, `glue help [COMMAND]` and `--help`, and `glue completions bash|zsh|fish`. None needs KVM: glue runs here.
/// </summary>
public sealed class HelpAndVersionTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>The commands of every build; `glue device` is there only with vhost-user (its tests carry that trait).</summary>
    private static readonly string[] Commands = ["run", "pause", "resume", "stop", "list", "screenshot", "snapshot", "help", "completions"];

    public static TheoryData<string> EveryCommand => new(Commands);

    private static Task<ProcessResult> GlueAsync(params string[] arguments) =>
        BoundedProcess.RunAsync(GlueInvocation.StartHere(arguments), Limit, null, BoundedProcess.StopBy.Kill);

    /// <summary>What `glue --version` prints, checked: the version, then the manifest, devices and transports.</summary>
    private static async Task<IReadOnlyList<string>> VersionAsync()
    {
        var run = await GlueAsync("--version");
        Assert.True(run.ExitCode == 0 && run.Stderr.Count == 0, run.Describe());
        Assert.True(run.Stdout is [var first, var manifest, var devices, var transports] && first.StartsWith("glue ", StringComparison.Ordinal)
            && manifest.StartsWith("manifest: ", StringComparison.Ordinal) && devices.StartsWith("devices: ", StringComparison.Ordinal)
            && transports.StartsWith("transports: ", StringComparison.Ordinal), run.Describe());
        return run.Stdout;
    }

    private static async Task AssertPrintsVersionAsync(IReadOnlyList<string> version, params string[] arguments)
    {
        var run = await GlueAsync(arguments);
        Assert.True(run.ExitCode == 0 && run.Stderr.Count == 0, $"glue {string.Join(' ', arguments)}: {run.Describe()}");
        Assert.Equal(version, run.Stdout);
    }

    [GlueFact]
    public async Task Dash_capital_v_is_version() => await AssertPrintsVersionAsync(await VersionAsync(), "-V");

    [GlueTheory]
    [MemberData(nameof(EveryCommand))]
    public async Task Every_command_takes_dash_capital_v(string command)
    {
        var version = await VersionAsync();
        await AssertPrintsVersionAsync(version, command, "-V");
        await AssertPrintsVersionAsync(version, command, "--version");
    }

    /// <summary>As in clap, the first -V ends the reading: a command after it is not read, and a required option is not missing.</summary>
    [GlueFact]
    public async Task Version_ends_the_reading()
    {
        var version = await VersionAsync();
        await AssertPrintsVersionAsync(version, "-V", "run");
        await AssertPrintsVersionAsync(version, "-V", "frobnicate");
        await AssertPrintsVersionAsync(version, "run", "-V", "--no-such-option");
        await AssertPrintsVersionAsync(version, "-v", "run", "-c", "2", "-V");
        await AssertPrintsVersionAsync(version, "screenshot", "-V");
    }

    [GlueFact]
    [Trait("Transport", "vhost-user")]
    public async Task Device_takes_dash_capital_v()
    {
        var version = await VersionAsync();
        await AssertPrintsVersionAsync(version, "device", "-V");
        await AssertPrintsVersionAsync(version, "device", "rng", "-V");
    }

    private static async Task<string> HelpAsync(params string[] arguments)
    {
        var run = await GlueAsync(arguments);
        Assert.True(run.ExitCode == 0 && run.Stderr.Count == 0 && run.Stdout.Count > 0, $"glue {string.Join(' ', arguments)}: {run.Describe()}");
        return string.Join('\n', run.Stdout);
    }

    /// <summary>The flags every help names, as the design gives them.</summary>
    private static void AssertNamesTheGlobalFlags(string help)
    {
        Assert.Contains("-h, --help", help);
        Assert.Contains("-V, --version", help);
        Assert.Contains("-v, --verbose", help);
    }

    [GlueFact]
    public async Task Help_is_the_top_level_help()
    {
        string help = await HelpAsync("--help");

        Assert.Equal(help, await HelpAsync("help"));
        Assert.Equal(help, await HelpAsync("-h"));
        AssertNamesTheGlobalFlags(help);
        foreach (var command in Commands) Assert.Contains($"\n  {command} ", help);
    }

    [GlueTheory]
    [MemberData(nameof(EveryCommand))]
    public async Task Help_of_a_command_is_its_help(string command)
    {
        string help = await HelpAsync(command, "--help");

        Assert.Equal(help, await HelpAsync("help", command));
        Assert.Contains($"glue {command}", help);
        AssertNamesTheGlobalFlags(help);
    }

    [GlueFact]
    [Trait("Transport", "vhost-user")]
    public async Task Help_of_device_and_its_devices_is_their_help()
    {
        Assert.Equal(await HelpAsync("device", "--help"), await HelpAsync("help", "device"));
        string rng = await HelpAsync("device", "rng", "--help");
        Assert.Equal(rng, await HelpAsync("help", "device", "rng"));
        Assert.Contains("--socket", rng);
    }

    /// <summary>The seed's own examples: `glue run --help` and `glue pause --help` name the options the design gives them.</summary>
    [GlueFact]
    public async Task Run_and_pause_help_name_their_options()
    {
        string run = await HelpAsync("run", "--help");
        foreach (var option in new[] { "-k, --kernel", "-i, --initrd", "-p, --params", "--boot", "-c, --cpus", "-m, --mem", "-n, --name" })
            Assert.Contains(option, run);
        string pause = await HelpAsync("pause", "--help");
        Assert.Contains("-n, --name", pause);
        Assert.Contains("--all", pause);
    }

    private static async Task<string> CompletionsAsync(string shell)
    {
        var run = await GlueAsync("completions", shell);
        Assert.True(run.ExitCode == 0 && run.Stderr.Count == 0 && run.Stdout.Count > 0, $"glue completions {shell}: {run.Describe()}");
        string script = string.Join('\n', run.Stdout) + "\n";
        foreach (var command in Commands) Assert.Contains(command, script);
        return script;
    }

    /// <summary>bash accepts the script, and sourced, it completes glue's commands, a command's options and an option's values.</summary>
    [GlueFact]
    public async Task Bash_completion_completes()
    {
        using var directory = new TempDirectory();
        string script = directory.Write("glue.bash", System.Text.Encoding.UTF8.GetBytes(await CompletionsAsync("bash")));

        var syntax = await BoundedProcess.RunAsync("bash", ["-n", script], Limit);
        Assert.True(syntax.ExitCode == 0, syntax.Describe());

        string Complete(string line) => $"COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMPREPLY=(); _glue; echo \"${{COMPREPLY[*]}}\"";
        string[] lines = [$"source '{script}'", Complete("glue ''"), Complete("glue run --b"), Complete("glue run --boot ''"), Complete("glue pause --a")];
        var completed = await BoundedProcess.RunAsync("bash", ["-c", string.Join('\n', lines)], Limit);
        Assert.True(completed.ExitCode == 0 && completed.Stderr.Count == 0 && completed.Stdout.Count == 4, completed.Describe());
        Assert.Equal(Commands.Order(StringComparer.Ordinal), completed.Stdout[0].Split(' ').Where(word => word != "device").Order(StringComparer.Ordinal));
        Assert.Equal("--boot", completed.Stdout[1]);
        Assert.Equal("auto linux64 pvh", completed.Stdout[2]);
        Assert.Equal("--all", completed.Stdout[3]);
    }

    /// <summary>The zsh and fish scripts name every command; where the shell is installed, it also accepts the script (-n).</summary>
    [GlueTheory]
    [InlineData("zsh")]
    [InlineData("fish")]
    public async Task Zsh_and_fish_scripts_name_the_commands(string shell)
    {
        using var directory = new TempDirectory();
        string script = directory.Write($"glue.{shell}", System.Text.Encoding.UTF8.GetBytes(await CompletionsAsync(shell)));
        if (!TestEnvironment.OnPath(shell)) return;

        var syntax = await BoundedProcess.RunAsync(shell, ["-n", script], Limit);
        Assert.True(syntax.ExitCode == 0, syntax.Describe());
    }
}
