namespace Glue.BuildTests;

/// <summary>A Linux kernel's console output, read the way a person reads dmesg: the text after a line's tag.</summary>
public sealed class KernelLog(IReadOnlyList<string> lines)
{
    /// <summary>The rest of the first line that has <paramref name="tag"/>, after it; null when no line has it.</summary>
    public string? After(string tag) => AllAfter(tag).FirstOrDefault();

    /// <summary>The rest of every line that has <paramref name="tag"/>, in order.</summary>
    public IReadOnlyList<string> AllAfter(string tag) =>
        [.. lines.Select(line => line.IndexOf(tag, StringComparison.Ordinal) is var at and >= 0 ? line[(at + tag.Length)..].TrimEnd() : null)
            .OfType<string>()];
}
