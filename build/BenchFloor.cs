namespace Glue.Build;

/// <summary>The floor (tests/bench/floor/floor.c): a VMM of about 150 lines of C that the bench builds with gcc.</summary>
public static class BenchFloor
{
    public static string Build(Repository repository, string directory)
    {
        Console.WriteLine("==> build the floor VMM");
        string source = Path.Combine(repository.Root, "tests", "bench", "floor", "floor.c");
        string binary = Path.Combine(directory, "floor");
        Command.Check("gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, source);
        return binary;
    }
}
