using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>
/// One frontend connection: read a message, have the backend answer it on the device's thread, send what the
/// protocol asks for, until the frontend goes away or breaks the rules, then reset the backend for the next one.
///
/// The malformed-frontend policy: a message that cannot be framed (see <see cref="MessageSocket"/>) ends the
/// connection. A request the backend refuses (wrong payload size, unknown request, a ring outside the memory
/// table, a ring size that is not a power of 2, fds it does not take...) changes nothing and is answered with a
/// failure when the frontend asked for a REPLY_ACK; a refused request the frontend expects no answer to (or one
/// whose answer is a payload) ends the connection instead, since the frontend would go on believing it worked.
/// Either way the reason is logged, and the backend waits for the next connection.
/// </summary>
public static class VhostUserSession
{
    /// <summary>Serves <paramref name="socket"/> until it closes or fails; the backend is reset afterwards either way.</summary>
    public static void Run(MessageSocket socket, VhostUserBackend backend, Glue.Virtio.Events.EventLoop loop, Action<string> log)
    {
        try
        {
            while (socket.Receive() is { } message)
            {
                using (message)
                {
                    VhostUserOutcome outcome = default;
                    bool replyAck = false;
                    try
                    {
                        loop.Invoke(() =>
                        {
                            outcome = backend.Handle(message);
                            replyAck = backend.ReplyAck;
                        });
                    }
                    catch (Exception e) when (e is not VhostUserDisconnect)
                    {
                        // A request the checks did not foresee: the frontend goes, the backend is reset, glue stays.
                        throw new VhostUserDisconnect($"request {message.Request} failed: {e.GetType().Name}: {e.Message}");
                    }
                    if (!Answer(socket, message, outcome, replyAck, log)) return;
                }
            }
        }
        catch (VhostUserDisconnect e)
        {
            log($"vhost-user: disconnecting the frontend: {e.Message}");
        }
        finally
        {
            loop.Invoke(backend.Disconnect);
        }
    }

    /// <summary>Sends the reply or the REPLY_ACK the request gets; false when the connection must end.</summary>
    private static bool Answer(MessageSocket socket, VhostUserMessage message, VhostUserOutcome outcome, bool replyAck, Action<string> log)
    {
        uint request = message.Request;
        bool ack = replyAck && message.NeedsReply && !VhostUserBackend.HasReply(request);
        if (outcome.Error is { } error)
        {
            if (!ack)
            {
                log($"vhost-user: request {request} refused: {error}; disconnecting the frontend");
                return false;
            }
            log($"vhost-user: request {request} refused: {error}");
            socket.Reply(request, BitConverter.GetBytes(1UL));
            return true;
        }
        if (outcome.Reply is { } reply) socket.Reply(request, reply);
        else if (ack) socket.Reply(request, BitConverter.GetBytes(0UL));
        return true;
    }
}
