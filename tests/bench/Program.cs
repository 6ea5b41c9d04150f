using Glue.Bench;

// `./build.sh bench` runs this program (build/BenchTarget.cs) once it has built what the bench measures; BenchSettings
// says what it reads. Its exit status: 0, 1 when a case failed, 2 for a case it does not have.
try
{
    return BenchRun.Run(BenchSettings.FromEnvironment(Repository.Locate()));
}
catch (BenchUsageError error)
{
    Console.Error.WriteLine($"bench: {error.Message}");
    return 2;
}
catch (BenchFailure error)
{
    Console.Error.WriteLine($"bench: {error.Message}");
    return 1;
}
