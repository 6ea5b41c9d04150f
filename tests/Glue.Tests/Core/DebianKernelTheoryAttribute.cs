using Xunit;

namespace Glue.Tests.Core;

/// <summary>
/// A theory on the Debian kernel image and initramfs that tests/linux makes (./build.sh test passes their folder as
/// GLUE_LINUX; by default artifacts/linux): skipped, with the reason, where they have not been made.
/// </summary>
public sealed class DebianKernelTheoryAttribute : TheoryAttribute
{
    public DebianKernelTheoryAttribute() =>
        Skip = Files.Select(File).FirstOrDefault(path => !System.IO.File.Exists(path)) is { } missing
            ? $"{missing} is missing: ./build.sh linux-guest makes it"
            : null;

    private static readonly string[] Files = ["vmlinuz", "initramfs.cpio.gz"];

    /// <summary>The path of one of the Linux test guest's files.</summary>
    public static string File(string name)
    {
        string folder = Environment.GetEnvironmentVariable("GLUE_LINUX") is { Length: > 0 } set
            ? set
            : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../artifacts/linux"));
        return Path.Combine(folder, name);
    }
}
