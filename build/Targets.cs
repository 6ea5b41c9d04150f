namespace Glue.Build;

/// <summary>What ./build.sh can be asked to do: each target's name, usage, description and body.</summary>
public static class Targets
{
    private sealed record Target(string Usage, string Description, Func<Repository, string[], int> Run);

    private static readonly Dictionary<string, Target> All = new()
    {
        ["--manifest"] = new("--manifest FILE", "publish glue for the manifest FILE to artifacts/<name>/glue", PublishManifest),
        ["guest"] = new("guest", "build the test guest into artifacts/guest/", BuildGuest),
        ["linux-guest"] = new("linux-guest", "build the Linux test guest (Debian kernel, busybox) into artifacts/linux/", BuildLinuxGuest),
        ["test"] = new("test", "run the unit tests, then the build tests against every manifest's glue", Test),
        ["run"] = new("run [GLUE-RUN-OPTIONS...]", "publish the full manifest and boot the test guest on 2 vCPUs", BootGuest),
        ["bench"] = new("bench [--quick] [ROUNDS]", "glue beside the floor VMM, QEMU microvm and the page cache, case by case (10 rounds; --quick: 3, smaller)", Bench),
        ["fuzz"] = new("fuzz TARGET|all [--minutes N]", "an AFL++ campaign on a tests/fuzz target (default 5 minutes each)", FuzzTarget.Run),
    };

    public static int Run(Repository repository, string[] arguments)
    {
        if (arguments is [] or ["--help"] or ["-h"])
        {
            PrintHelp();
            return arguments is [] ? 2 : 0;
        }
        if (!All.TryGetValue(arguments[0], out var target))
            throw new UsageError($"unknown target '{arguments[0]}' (./build.sh --help lists the targets)");
        return target.Run(repository, arguments[1..]);
    }

    private static int PublishManifest(Repository repository, string[] arguments)
    {
        if (arguments is not [var file])
            throw new UsageError("--manifest takes one argument: the manifest's .props file");
        if (!File.Exists(file))
            throw new UsageError($"no manifest file '{file}'");
        new BuildSteps(repository).Publish(Manifest.Load(Path.GetFullPath(file), repository.Root));
        return 0;
    }

    private static int BuildGuest(Repository repository, string[] arguments)
    {
        ExpectNone("guest", arguments);
        new BuildSteps(repository).BuildGuest();
        return 0;
    }

    private static int BuildLinuxGuest(Repository repository, string[] arguments)
    {
        ExpectNone("linux-guest", arguments);
        new BuildSteps(repository).BuildLinuxGuest();
        return 0;
    }

    private static int Test(Repository repository, string[] arguments)
    {
        ExpectNone("test", arguments);
        return new TestTarget(repository).Run();
    }

    /// <summary>Extra arguments go to `glue run` after the defaults, e.g. `./build.sh run -m 512`.</summary>
    private static int BootGuest(Repository repository, string[] arguments)
    {
        var steps = new BuildSteps(repository);
        var glue = steps.Publish(repository.DefaultManifest());
        var guest = steps.BuildGuest();
        return Command.Run(glue, ["run", "-k", guest, "-c", "2", "-p", "glue.cpus=2", .. arguments]);
    }

    private static int Bench(Repository repository, string[] arguments)
    {
        bool quick = arguments.Contains("--quick");
        int? rounds = arguments.Where(a => a != "--quick").ToArray() switch
        {
            [] => null,
            [var text] when int.TryParse(text, out int n) && n > 0 => n,
            _ => throw new UsageError("bench takes --quick and the number of rounds per case, both optional"),
        };
        return new BenchTarget(repository).Run(quick, rounds);
    }

    private static void ExpectNone(string target, string[] arguments)
    {
        if (arguments.Length > 0)
            throw new UsageError($"{target} takes no arguments, got '{string.Join(' ', arguments)}'");
    }

    private static void PrintHelp()
    {
        Console.WriteLine("usage: ./build.sh TARGET");
        Console.WriteLine("targets:");
        foreach (var target in All.Values)
            Console.WriteLine($"  {target.Usage,-28} {target.Description}");
    }
}
