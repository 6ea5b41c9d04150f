using System.CommandLine.Parsing;
using System.Globalization;

namespace Glue;

/// <summary>
/// The values of `glue run`'s typed options, parsed here so that a bad one is a message about the option rather
/// than about a .NET type: `-m 512` (MiB), `-m 512M`, `-m 2G` (binary suffixes K, M, G, T, as kvmtool takes them),
/// `-c 2`, `--boot pvh`.
/// </summary>
internal static class RunArguments
{
    private const ulong MiB = 1UL << 20;

    /// <summary>A guest RAM size in bytes: a whole number of MiB, or of K, M, G or T (optionally followed by B or iB).</summary>
    public static bool TryParseMemory(string text, out ulong bytes, out string error)
    {
        bytes = 0;
        error = $"--mem '{text}': expected a size such as 512 (MiB), 512M or 2G";
        string value = text.Trim();
        int digits = 0;
        while (digits < value.Length && char.IsAsciiDigit(value[digits])) digits++;
        if (digits == 0) return false;
        ulong unit = value[digits..].ToUpperInvariant() switch
        {
            "" or "M" or "MB" or "MIB" => MiB,
            "K" or "KB" or "KIB" => 1UL << 10,
            "G" or "GB" or "GIB" => 1UL << 30,
            "T" or "TB" or "TIB" => 1UL << 40,
            _ => 0,
        };
        if (unit == 0) return false;
        if (!ulong.TryParse(value[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out ulong count) || count > ulong.MaxValue / unit)
        {
            error = $"--mem '{text}': too large";
            return false;
        }
        bytes = count * unit;
        if (bytes % MiB != 0)
        {
            error = $"--mem '{text}': guest RAM is a whole number of MiB";
            return false;
        }
        return true;
    }

    /// <summary>For <c>Option&lt;ulong?&gt;.CustomParser</c>: the size in bytes (null when not given), or an error on the option.</summary>
    public static ulong? Memory(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return null; // not given: the default
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (TryParseMemory(text, out ulong bytes, out string error)) return bytes;
        result.AddError(error);
        return 0;
    }

    /// <summary>A vCPU count: a whole number (the range is checked against the host later).</summary>
    public static int Cpus(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int cpus)) return cpus;
        result.AddError(text.Length > 0 && text.All(char.IsAsciiDigit) ? $"--cpus '{text}': too many vCPUs" : $"--cpus '{text}': expected a number of vCPUs, such as 2");
        return 0;
    }

    /// <summary>The boot protocol's name, as --help lists them.</summary>
    public static Core.Boot.BootProtocol Boot(ArgumentResult result)
    {
        if (result.Tokens.Count == 0) return Core.Boot.BootProtocol.Auto;
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
        switch (text)
        {
            case "auto": return Core.Boot.BootProtocol.Auto;
            case "linux64": return Core.Boot.BootProtocol.Linux64;
            case "pvh": return Core.Boot.BootProtocol.Pvh;
        }
        result.AddError($"--boot '{text}': expected auto, linux64 or pvh");
        return Core.Boot.BootProtocol.Auto;
    }
}
