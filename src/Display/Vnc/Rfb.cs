namespace Glue.Display.Vnc;

/// <summary>RFB protocol numbers (RFC 6143), with the names the RFC gives them.</summary>
internal static class Rfb
{
    /// <summary>§7.1.1: what the server offers; a client answers with its own version.</summary>
    public static ReadOnlySpan<byte> ServerVersion => "RFB 003.008\n"u8;

    public const int VersionLength = 12;

    // §7.1.2 security types.
    public const byte SecurityInvalid = 0;
    public const byte SecurityNone = 1;
    public const byte SecurityVncAuthentication = 2;

    // §7.1.3 SecurityResult.
    public const uint SecurityResultOk = 0;
    public const uint SecurityResultFailed = 1;

    // §7.5 client-to-server messages.
    public const byte SetPixelFormat = 0;
    public const byte SetEncodings = 2;
    public const byte FramebufferUpdateRequest = 3;
    public const byte KeyEvent = 4;
    public const byte PointerEvent = 5;
    public const byte ClientCutText = 6;

    // §7.6 server-to-client messages.
    public const byte FramebufferUpdate = 0;

    // §7.7 encodings and §7.8 pseudo-encodings.
    public const int EncodingRaw = 0;
    public const int EncodingZrle = 16;
    public const int EncodingCursor = -239;
    public const int EncodingDesktopSize = -223;
}

/// <summary>The RFB versions Glue speaks (§7.1.1); any other 3.x a client names is treated as 3.3, as the RFC says.</summary>
internal enum RfbVersion
{
    V3_3,
    V3_7,
    V3_8,
}
