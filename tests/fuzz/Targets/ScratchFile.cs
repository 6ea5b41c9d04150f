namespace Glue.Fuzz.Targets;

/// <summary>
/// One file per target and process that each input is written to, for code that reads files (kernels, disk images):
/// in /dev/shm where there is one, so an input costs no disk I/O; removed when the process ends.
/// </summary>
internal sealed class ScratchFile
{
    public ScratchFile(string name)
    {
        Path = System.IO.Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath(), $"glue-fuzz-{name}-{Environment.ProcessId}");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(Path);
    }

    public string Path { get; }

    /// <summary>Replaces the file's contents with <paramref name="bytes"/>; returns its path.</summary>
    public string Write(ReadOnlySpan<byte> bytes)
    {
        using var file = new FileStream(Path, FileMode.Create, FileAccess.Write);
        file.Write(bytes);
        return Path;
    }
}
