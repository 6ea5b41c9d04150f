using System.Text;
using Glue.Core.Machine;
using Glue.Core.Snapshot;

namespace Glue.Core.Control;

/// <summary>
/// SNAPSHOT (6, docs/control-protocol.md), served by the VM itself: the payload is the absolute path of the snapshot's
/// directory (UTF-8). The reply is OK; REFUSED with the reason (a device that keeps no snapshot state, a directory
/// it cannot write); or FAILED with what went wrong.
/// </summary>
public static class SnapshotRequest
{
    public const ushort Type = 6;

    public static ControlReply Handle(VirtualMachine machine, SnapshotOrigin origin, ReadOnlySpan<byte> payload)
    {
        string directory = Encoding.UTF8.GetString(payload);
        if (!Path.IsPathRooted(directory)) return Reply(ControlStatus.Refused, "the snapshot directory must be an absolute path");
        try
        {
            machine.Snapshot(directory, origin);
            return Reply(ControlStatus.Ok, "");
        }
        catch (SnapshotException e)
        {
            return Reply(ControlStatus.Refused, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Reply(ControlStatus.Refused, $"cannot write the snapshot to {directory}: {e.Message}");
        }
        catch (Exception e)
        {
            return Reply(ControlStatus.Failed, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static ControlReply Reply(ControlStatus status, string message) => new(status, Encoding.UTF8.GetBytes(message));
}
