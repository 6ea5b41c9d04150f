namespace Glue.Build;

/// <summary>
/// One thing ./build.sh can be asked to do, declared as Nuke declares a target: a name, what it does, the targets
/// that must have run before it (<see cref="DependsOn"/>) and its body. A target may take arguments of its own,
/// the words after its name that are no parameter (run's glue options, bench's run count); only the target asked
/// for gets them, so a target run as a dependency always runs with none. Its arguments are read before any
/// dependency runs, so that a mistyped one fails at once rather than after the builds it would have waited for.
/// </summary>
public sealed class Target(string name, string description)
{
    private readonly List<Target> _dependencies = [];
    private Func<IReadOnlyList<string>, Func<int>> _withArguments = _ => () => 0;

    public string Name => name;
    public string Description => description;
    public IReadOnlyList<Target> Dependencies => _dependencies;

    /// <summary>How its own arguments are written in --help, e.g. "[RUNS]"; null when it takes none.</summary>
    public string? ArgumentsUsage { get; private set; }

    public Target DependsOn(params Target[] targets)
    {
        _dependencies.AddRange(targets);
        return this;
    }

    /// <summary>A body that succeeds unless it throws (a step's <see cref="BuildFailure"/>).</summary>
    public Target Executes(Action body) => Executes(() =>
    {
        body();
        return 0;
    });

    /// <summary>A body whose exit status is the build's, such as a test run's or a booted guest's.</summary>
    public Target Executes(Func<int> body)
    {
        _withArguments = _ => body;
        return this;
    }

    /// <summary>
    /// A body that takes the target's own arguments, written in --help as <paramref name="argumentsUsage"/>:
    /// <paramref name="withArguments"/> reads them (throwing a <see cref="UsageError"/> for bad ones) and returns the body.
    /// </summary>
    public Target Executes(string argumentsUsage, Func<IReadOnlyList<string>, Func<int>> withArguments)
    {
        ArgumentsUsage = argumentsUsage;
        _withArguments = withArguments;
        return this;
    }

    /// <summary>The body to run with these arguments.</summary>
    public Func<int> WithArguments(IReadOnlyList<string> arguments) =>
        ArgumentsUsage is null && arguments.Count > 0
            ? throw new UsageError($"{Name} takes no arguments, got '{string.Join(' ', arguments)}'")
            : _withArguments(arguments);

    /// <summary>This target's dependencies, theirs first, each once, then the target itself: the order a run takes.</summary>
    public IReadOnlyList<Target> InDependencyOrder()
    {
        var order = new List<Target>();
        void Visit(Target target)
        {
            if (order.Contains(target))
                return;
            foreach (var dependency in target.Dependencies)
                Visit(dependency);
            order.Add(target);
        }
        Visit(this);
        return order;
    }
}
