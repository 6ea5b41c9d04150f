namespace Glue.BuildTests;

/// <summary>A fresh directory for one test's files, removed with everything in it when the test ends.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("glue-build-tests-").FullName;

    public string Write(string name, byte[] contents)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, contents);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
