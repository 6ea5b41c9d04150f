using System.Diagnostics;

namespace Glue.Bench;

/// <summary>The floor (tests/bench/floor/floor.c): a VMM of about 150 lines of C that the bench builds with gcc.</summary>
public static class BenchFloor
{
    public static string Build(Repository repository, string directory)
    {
        Console.WriteLine("==> build the floor VMM");
        string source = Path.Combine(repository.Root, "tests", "bench", "floor", "floor.c");
        string binary = Path.Combine(directory, "floor");
        using var gcc = Process.Start("gcc", ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, source]);
        gcc.WaitForExit();
        return gcc.ExitCode == 0 ? binary : throw new BenchFailure($"gcc could not build {source} (status {gcc.ExitCode})");
    }
}
