using System.CommandLine;
using System.Text.Json;
using Glue.Core.Control;

namespace Glue;

/// <summary>`glue list`: every live VM of this user, as an aligned table or JSON; stale sockets are cleaned up.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var command = new Command("list", "List this user's VMs: PID NAME STATE") { json };
        command.SetAction(parse =>
        {
            var vms = new List<VmStatus>();
            IReadOnlyList<string> names;
            try
            {
                names = RuntimeDirectory.SocketNames();
            }
            catch (RuntimeDirectoryException e)
            {
                return ErrorReport.Usage(e.Message);
            }
            foreach (string name in names)
            {
                try
                {
                    if (ControlClient.Send(name, ControlRequest.Status) is { } reply) vms.Add(reply.Vm);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
                {
                    // A VM that is ending as we ask is simply not listed.
                }
            }
            Console.Write(parse.GetValue(json) ? Json(vms) : Table(vms));
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Table(List<VmStatus> vms)
    {
        var rows = vms.Select(v => (Pid: v.Pid.ToString(), v.Name, State: v.State.ToString().ToLowerInvariant())).ToList();
        int pidWidth = Math.Max(3, rows.Select(r => r.Pid.Length).DefaultIfEmpty(0).Max());
        int nameWidth = Math.Max(4, rows.Select(r => r.Name.Length).DefaultIfEmpty(0).Max());
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{"PID".PadLeft(pidWidth)}  {"NAME".PadRight(nameWidth)}  STATE");
        foreach (var row in rows) text.AppendLine($"{row.Pid.PadLeft(pidWidth)}  {row.Name.PadRight(nameWidth)}  {row.State}");
        return text.ToString();
    }

    private static string Json(List<VmStatus> vms)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartArray();
            foreach (var vm in vms)
            {
                writer.WriteStartObject();
                writer.WriteNumber("pid", vm.Pid);
                writer.WriteString("name", vm.Name);
                writer.WriteString("state", vm.State.ToString().ToLowerInvariant());
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
