using System.Diagnostics;

namespace Glue.BuildTests;

/// <summary>`glue run` of the test guest with bytes fed to its stdin, and its stdout kept as raw bytes (the console's echo).</summary>
public static class GlueWithStdin
{
    public sealed record Result(int ExitCode, byte[] Stdout, IReadOnlyList<string> Stderr)
    {
        public string Describe() =>
            $"exit status {ExitCode}\n--- stdout ({Stdout.Length} bytes) ---\n{System.Text.Encoding.ASCII.GetString(Stdout)}\n--- stderr ---\n{string.Join('\n', Stderr)}";
    }

    public static async Task<Result> RunAsync(string runtimeDirectory, byte[] stdin, params string[] arguments)
    {
        using var process = new Process { StartInfo = GlueInvocation.StartInfo(runtimeDirectory, arguments) };
        process.Start();
        var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        await process.StandardInput.BaseStream.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"glue {string.Join(' ', arguments)} did not finish in 90 s");
        }
        process.StandardInput.Close();
        await copy;
        return new Result(process.ExitCode, stdout.ToArray(), (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
