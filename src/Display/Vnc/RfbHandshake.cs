using System.Buffers.Binary;
using System.Text;

namespace Glue.Display.Vnc;

/// <summary>
/// The opening of an RFB connection up to ClientInit (RFC 6143 §7.1, §7.2, §7.3.1): version, security type,
/// VNC Authentication when there is a password, a slot on the server (<see cref="VncAdmission"/>), and the
/// SecurityResult as each version has it. 3.3 has the server choose the security type and sends no result after
/// None; 3.7 lets the client choose and still sends no result after None; 3.8 always sends a result, and a reason
/// with a failure.
/// </summary>
internal static class RfbHandshake
{
    /// <summary>The version agreed on; throws <see cref="RfbProtocolException"/> when the client fails or breaks the opening.</summary>
    public static RfbVersion Run(Stream stream, VncAdmission admission)
    {
        stream.Write(Rfb.ServerVersion);
        Span<byte> text = stackalloc byte[Rfb.VersionLength];
        stream.ReadExactly(text);
        var version = ParseVersion(text);

        byte security = admission.NeedsPassword ? Rfb.SecurityVncAuthentication : Rfb.SecurityNone;
        Span<byte> word = stackalloc byte[4];
        if (version == RfbVersion.V3_3)
        {
            BinaryPrimitives.WriteUInt32BigEndian(word, security);
            stream.Write(word);
        }
        else
        {
            stream.Write([1, security]);
            int chosen = stream.ReadByte();
            if (chosen != security)
            {
                if (version == RfbVersion.V3_8) Fail(stream, version, "unsupported security type");
                throw new RfbProtocolException($"client chose security type {chosen}, not {security}");
            }
        }

        if (admission.NeedsPassword)
        {
            Span<byte> challenge = stackalloc byte[VncAuthentication.ChallengeSize];
            Span<byte> response = stackalloc byte[VncAuthentication.ChallengeSize];
            VncAuthentication.NewChallenge(challenge);
            stream.Write(challenge);
            stream.ReadExactly(response);
            if (admission.Authenticate(challenge, response) is { } failure)
            {
                Fail(stream, version, failure);
                throw new RfbProtocolException(failure);
            }
        }
        bool sendsResult = admission.NeedsPassword || version == RfbVersion.V3_8;
        if (admission.Admit() is { } refusal)
        {
            // 3.3 and 3.7 without a password have no SecurityResult to carry a refusal: the connection just ends.
            if (sendsResult) Fail(stream, version, refusal);
            throw new RfbProtocolException(refusal);
        }
        if (sendsResult)
        {
            BinaryPrimitives.WriteUInt32BigEndian(word, Rfb.SecurityResultOk);
            stream.Write(word);
        }
        stream.ReadExactly(word[..1]); // ClientInit's shared-flag: every client shares the one screen
        return version;
    }

    /// <summary>§7.1.1: "RFB 003.00x\n"; a 3.x other than 3.7 or 3.8 is 3.3 (and 3.889, Apple's, is 3.8).</summary>
    private static RfbVersion ParseVersion(ReadOnlySpan<byte> text)
    {
        if (!text.StartsWith("RFB 003."u8) || text[^1] != (byte)'\n' || !int.TryParse(text[8..11], out int minor))
            throw new RfbProtocolException($"not an RFB 3.x client: '{Encoding.ASCII.GetString(text).TrimEnd()}'");
        return minor >= 8 ? RfbVersion.V3_8 : minor == 7 ? RfbVersion.V3_7 : RfbVersion.V3_3;
    }

    /// <summary>A failed SecurityResult; 3.8 adds the reason (§7.1.3).</summary>
    private static void Fail(Stream stream, RfbVersion version, string reason)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, Rfb.SecurityResultFailed);
        stream.Write(word);
        if (version != RfbVersion.V3_8) return;
        var text = Encoding.ASCII.GetBytes(reason);
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)text.Length);
        stream.Write(word);
        stream.Write(text);
    }
}

/// <summary>A client broke RFB: its connection ends, nothing else does.</summary>
internal sealed class RfbProtocolException(string message) : Exception(message);
