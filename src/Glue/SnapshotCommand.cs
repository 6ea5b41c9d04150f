using System.CommandLine;
using System.Text;
using Glue.Core.Control;

namespace Glue;

/// <summary>
/// `glue snapshot -n NAME DIR`: the VM writes itself to DIR (docs/snapshot.md) and stays paused. DIR is a new or an
/// empty directory this user can write; a directory glue made for a snapshot that was refused is removed again.
/// </summary>
internal static class SnapshotCommand
{
    // A VM writes its RAM before it answers: generous, for a large guest on a slow disk.
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromMinutes(10);

    public static Command Create()
    {
        var vmName = new Option<string>("--name", "-n") { Description = "Name of the VM", Required = true };
        var directory = new Argument<string>("DIR") { Description = "A new or empty directory for the snapshot: state.json and memory" };
        var command = new Command("snapshot", "Write a VM's state to DIR for glue run --restore; the VM stays paused (resume or stop it)") { vmName, directory };
        command.SetAction(parse => Take(parse.GetValue(vmName)!, parse.GetValue(directory)!));
        return command;
    }

    private static int Take(string name, string directory)
    {
        if (!RuntimeDirectory.IsValidName(name)) return ErrorReport.Usage($"invalid VM name '{name}': a name is {RuntimeDirectory.NameRule}");
        string path = Path.GetFullPath(directory);
        if (CheckDirectory(directory, path) is { } problem) return ErrorReport.Usage(problem);
        bool created = !Directory.Exists(path);
        try
        {
            if (created) Directory.CreateDirectory(path);
            int result = Send(name, path);
            if (result != ExitCodes.Success && created) Directory.Delete(path);
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (created && Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any()) Directory.Delete(path);
            return ErrorReport.Usage($"snapshot DIR '{directory}': {e.Message}");
        }
    }

    /// <summary>DIR must be a new directory in an existing one, or an empty directory this user can write.</summary>
    private static string? CheckDirectory(string given, string path)
    {
        if (File.Exists(path)) return $"snapshot DIR '{given}' is a file: give a new or empty directory";
        if (!Directory.Exists(path))
            return Directory.Exists(Path.GetDirectoryName(path)) ? null : $"snapshot DIR '{given}': its parent directory does not exist";
        if (Directory.EnumerateFileSystemEntries(path).Any()) return $"snapshot DIR '{given}' is not empty: give a new or empty directory";
        try
        {
            // The VM writes as this user: a file this user can create there, the VM can.
            string probe = Path.Combine(path, ".glue-snapshot-probe");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"snapshot DIR '{given}' is not writable: give a directory you can write";
        }
    }

    private static int Send(string name, string path)
    {
        try
        {
            var reply = ControlClient.Request(name, SnapshotRequest.Type, Encoding.UTF8.GetBytes(path), ReplyTimeout);
            string message = reply is { } r ? Encoding.UTF8.GetString(r.Payload) : "";
            return reply?.Status switch
            {
                null => ErrorReport.Fail($"no VM named '{name}'", ExitCodes.NoSuchVm),
                ControlStatus.Ok => ExitCodes.Success,
                ControlStatus.Refused => ErrorReport.Usage($"VM '{name}' refused the snapshot: {message}"),
                var status => ErrorReport.Fail($"VM '{name}' could not write the snapshot: {(message.Length > 0 ? message : status.ToString())}", ExitCodes.VmFailed),
            };
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return ErrorReport.Fail($"VM '{name}': {e.Message}", ExitCodes.VmFailed);
        }
        catch (RuntimeDirectoryException e)
        {
            return ErrorReport.Usage(e.Message);
        }
    }
}
