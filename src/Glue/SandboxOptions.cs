using System.CommandLine;
using System.CommandLine.Parsing;
using Glue.Core.Sandbox;

namespace Glue;

/// <summary>
/// `--seccomp=off|log|kill` and `--user UID:GID`, which `glue run` and `glue device` share: what a forbidden system
/// call does, and the user Glue drops to once it has opened what needs privileges (docs/security.md).
/// </summary>
internal sealed class SandboxOptions
{
    public Option<SeccompMode> Seccomp { get; } = new("--seccomp")
    {
        HelpName = "off|log|kill",
        Description = "Each thread's system call filter: kill (the default) ends glue with a one-line report at a forbidden call, log lets it through and the kernel logs it, off installs none",
        CustomParser = ParseMode,
        DefaultValueFactory = _ => SeccompMode.Kill,
    };

    public Option<UserIds?> User { get; } = new("--user")
    {
        HelpName = "UID:GID",
        Description = "Drop to this user and group (numbers) once /dev/kvm, disks, TAPs and sockets are open, with no_new_privs",
        CustomParser = ParseUser,
    };

    public SandboxOptions()
    {
        Seccomp.CompletionSources.Clear();
        Seccomp.CompletionSources.Add("off", "log", "kill");
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Seccomp);
        command.Options.Add(User);
    }

    /// <summary>The filters' mode and --user; the filters themselves go on with <see cref="Start"/>.</summary>
    public (SeccompMode Mode, UserIds? User) Values(ParseResult parse) => (parse.GetValue(Seccomp), parse.GetValue(User));

    /// <summary>The process filter on every thread, before glue starts a thread of its own; a failure is a line naming --seccomp.</summary>
    public static void Start(SeccompMode mode, UserIds? user)
    {
        try
        {
            SeccompFilters.Start(mode, user);
        }
        catch (Core.Interop.NativeError e)
        {
            throw new SandboxException($"--seccomp={Name(mode)}: cannot install the filters ({e.Message}); this kernel may lack seccomp: give --seccomp=off");
        }
    }

    /// <summary>Drops to --user, if given; a failure is a line naming --user.</summary>
    public static void Drop(UserIds? user)
    {
        if (user is not { } ids) return;
        try
        {
            ids.Drop();
        }
        catch (Core.Interop.NativeError e)
        {
            throw new SandboxException($"--user {ids}: cannot change to that user ({e.Message}); glue changes user only when started as root");
        }
    }

    private static string Name(SeccompMode mode) => mode.ToString().ToLowerInvariant();

    private static SeccompMode ParseMode(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        switch (text)
        {
            case "kill": return SeccompMode.Kill;
            case "log": return SeccompMode.Log;
            case "off": return SeccompMode.Off;
        }
        result.AddError($"--seccomp '{text}': expected off, log or kill");
        return SeccompMode.Kill;
    }

    private static UserIds? ParseUser(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (UserIds.TryParse(text, out var ids)) return ids;
        result.AddError($"--user '{text}': expected UID:GID, two numbers such as 1000:1000");
        return null;
    }
}

/// <summary>The filters could not be installed or the user could not be changed: exit 1 with the line.</summary>
internal sealed class SandboxException(string message) : Exception(message);
