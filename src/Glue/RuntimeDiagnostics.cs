using System.Runtime.CompilerServices;

namespace Glue;

/// <summary>
/// The .NET runtime's diagnostics endpoints have no place in a hypervisor: CoreCLR opens a diagnostics socket
/// (`dotnet-diagnostic-PID-*-socket`) and debugger FIFOs (`clr-debug-pipe-PID-*`) in TMPDIR before Main, and
/// leaves them behind when glue is killed. No runtimeconfig setting turns them off (only the environment's
/// DOTNET_EnableDiagnostics=0, which must be set before the process starts), so glue unlinks its own first thing:
/// nothing can connect to them any more, and nothing is left after a SIGKILL. Native AOT opens none, so the
/// published glue skips the listing of TMPDIR, which on a busy host holds thousands of names.
/// </summary>
internal static class RuntimeDiagnostics
{
    public static void Close()
    {
        if (!RuntimeFeature.IsDynamicCodeSupported) return;
        string directory = Path.GetTempPath();
        int pid = Environment.ProcessId;
        try
        {
            foreach (string pattern in new[] { $"dotnet-diagnostic-{pid}-*-socket", $"clr-debug-pipe-{pid}-*" })
                foreach (string file in Directory.EnumerateFiles(directory, pattern))
                    File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable TMPDIR holds none of ours.
        }
    }
}
