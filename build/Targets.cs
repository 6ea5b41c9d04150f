namespace Glue.Build;

/// <summary>
/// What ./build.sh can be asked to do: the parameters, and the targets with their dependencies and bodies. A run
/// takes the target asked for (publish when none is named) and runs its dependencies first, each once, in
/// dependency order. Each body is a call into its own class, so adding a target is one entry in the list below.
/// </summary>
public static class Targets
{
    private static readonly Parameter ManifestFile = new("--manifest", "FILE",
        "the manifest that publish, run and test take (default: manifests/full.props; for test: every manifest)");

    private static readonly IReadOnlyList<Parameter> Parameters = [ManifestFile];

    /// <summary>Every target, in the order --help lists them; the first is the default.</summary>
    private static IReadOnlyList<Target> Declare(Repository repository, Invocation invocation)
    {
        var steps = new BuildSteps(repository);
        Manifest? given = invocation[ManifestFile] is { } file ? LoadManifest(file, repository) : null;
        Manifest chosen = given ?? repository.DefaultManifest();

        var publish = new Target("publish", "publish glue for the manifest to artifacts/<name>/glue: one Native AOT executable")
            .Executes(() => steps.Publish(chosen));
        var guest = new Target("guest", "build the test guest into artifacts/guest/")
            .Executes(() => steps.BuildGuest());
        var linuxGuest = new Target("linux-guest", "build the Linux test guest (Debian kernel, busybox) into artifacts/linux/")
            .Executes(() => steps.BuildLinuxGuest());
        return
        [
            publish,
            guest,
            linuxGuest,
            new Target("test", "with --manifest: that manifest's build tests; without: the unit tests, the QEMU reference run and every manifest's build tests")
                .DependsOn(guest, linuxGuest)
                .Executes(() => new TestTarget(repository).Run(given)),
            new Target("run", "boot the test guest on 2 vCPUs in the published glue (extra arguments go to `glue run`)")
                .DependsOn(publish, guest)
                .Executes("[GLUE-RUN-OPTIONS...]", arguments => () =>
                    steps.RunGlue(steps.Publish(chosen), ["run", "-k", steps.BuildGuest(), "-c", "2", "-p", "glue.cpus=2", .. arguments])),
            new Target("bench", "glue beside the floor VMM, QEMU microvm and the page cache, case by case (10 rounds; --quick: 3, smaller)")
                .DependsOn(publish, guest, linuxGuest)
                .Executes("[--quick] [--case NAME] [ROUNDS]", arguments =>
                {
                    bool quick = false;
                    string? only = null;
                    int? rounds = null;
                    for (int i = 0; i < arguments.Count; i++)
                    {
                        switch (arguments[i])
                        {
                            case "--quick":
                                quick = true;
                                break;
                            case "--case" when i + 1 < arguments.Count:
                                only = arguments[++i];
                                break;
                            case var text when rounds is null && int.TryParse(text, out int n) && n > 0:
                                rounds = n;
                                break;
                            default:
                                throw new UsageError("bench takes --quick, --case NAME (one case) and the number of rounds per case, all optional");
                        }
                    }
                    return () => new BenchTarget(repository).Run(quick, rounds, only);
                }),
            new Target("soak", "how often the software KVM host fails stock Linux in glue: BOOTS runs in one host boot (default 20)")
                .Executes("[BOOTS] [--qemu system]", arguments =>
                {
                    int boots = 20;
                    bool systemQemu = false;
                    for (int i = 0; i < arguments.Count; i++)
                    {
                        switch (arguments[i])
                        {
                            case "--qemu" when i + 1 < arguments.Count && arguments[i + 1] == "system":
                                systemQemu = true;
                                i++;
                                break;
                            case var text when int.TryParse(text, out int n) && n > 0:
                                boots = n;
                                break;
                            default:
                                throw new UsageError("soak takes the number of boots and --qemu system, both optional");
                        }
                    }
                    return () => new HostSoak(repository).Run(boots, systemQemu);
                }),
            new Target("fuzz", "an AFL++ campaign on a tests/fuzz target (default 5 minutes each)")
                .Executes("TARGET|all [--minutes N]", arguments => () => FuzzTarget.Run(repository, [.. arguments])),
        ];
    }

    public static int Run(Repository repository, string[] arguments)
    {
        var invocation = Invocation.Parse(arguments, Parameters);
        var targets = Declare(repository, invocation);
        if (invocation.Help)
        {
            PrintHelp(targets);
            return 0;
        }
        var asked = invocation.TargetName is null ? targets[0]
            : targets.FirstOrDefault(t => t.Name == invocation.TargetName)
              ?? throw new UsageError($"unknown target '{invocation.TargetName}' (./build.sh --help lists the targets)");
        var body = asked.WithArguments(invocation.Arguments);
        foreach (var target in asked.InDependencyOrder())
        {
            int status = (target == asked ? body : target.WithArguments([]))();
            if (status != 0)
                return status;
        }
        return 0;
    }

    private static Manifest LoadManifest(string file, Repository repository) =>
        File.Exists(file) ? Manifest.Load(Path.GetFullPath(file), repository.Root) : throw new UsageError($"no manifest file '{file}'");

    private static void PrintHelp(IReadOnlyList<Target> targets)
    {
        Console.WriteLine($"usage: ./build.sh [TARGET [ARGUMENTS...]] {string.Join(' ', Parameters.Select(p => $"[{p.Name} {p.ValueName}]"))}");
        Console.WriteLine();
        Console.WriteLine("Targets (with their direct dependencies):");
        foreach (var target in targets)
        {
            var usage = string.Join(' ', new[] { target.Name, target.ArgumentsUsage, target == targets[0] ? "(default)" : null }.OfType<string>());
            var dependencies = target.Dependencies.Count > 0 ? $"-> {string.Join(", ", target.Dependencies.Select(d => d.Name))}" : "";
            Console.WriteLine($"  {usage,-30} {dependencies}");
            Console.WriteLine($"      {target.Description}");
        }
        Console.WriteLine();
        Console.WriteLine("Parameters:");
        foreach (var parameter in Parameters)
            Console.WriteLine($"  {parameter.Name + " " + parameter.ValueName,-30} {parameter.Description}");
        Console.WriteLine($"  {"--help",-30} print this list");
    }
}
