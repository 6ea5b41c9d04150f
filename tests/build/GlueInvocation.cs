using System.Diagnostics;

namespace Glue.BuildTests;

/// <summary>Runs glue with XDG_RUNTIME_DIR pointing at a test's own directory, so tests never see each other's VMs.</summary>
public static class GlueInvocation
{
    /// <summary>
    /// A start of glue where its VMs live: in the KVM host (<see cref="KvmHost"/>), with every command that talks to
    /// them; `glue device` needs no KVM and stays here, beside the vhost-user frontends that pass it file descriptors.
    /// </summary>
    public static ProcessStartInfo Start(IEnumerable<string> arguments)
    {
        var start = StartHere(arguments);
        return start.ArgumentList.FirstOrDefault(a => !a.StartsWith('-')) == "device" ? start : KvmHost.InHost(start);
    }

    /// <summary>A start of glue on this machine whatever its KVM: for bad input, which glue refuses before it opens /dev/kvm.</summary>
    public static ProcessStartInfo StartHere(IEnumerable<string> arguments) => KvmHost.StartHere(TestEnvironment.Binary, arguments);

    public static ProcessStartInfo StartInfo(string runtimeDirectory, IEnumerable<string> arguments)
    {
        var start = Start(arguments);
        start.Environment["XDG_RUNTIME_DIR"] = runtimeDirectory;
        return start;
    }

    /// <summary>Runs a short glue command (pause, list, ...) to its end within 30 s.</summary>
    public static async Task<ProcessResult> RunAsync(string runtimeDirectory, params string[] arguments)
    {
        using var process = new Process { StartInfo = StartInfo(runtimeDirectory, arguments) };
        process.Start();
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"glue {string.Join(' ', arguments)} did not finish in 30 s");
        }
        return new ProcessResult(process.ExitCode, Lines(await stdout), Lines(await stderr));
    }

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
