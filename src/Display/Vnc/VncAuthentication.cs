using System.Security.Cryptography;

namespace Glue.Display.Vnc;

/// <summary>
/// VNC Authentication (RFC 6143 §7.2.2): the server sends 16 random bytes, the client returns them DES-encrypted
/// (ECB, two blocks) under a key made of the password's first 8 bytes, zero-padded, each byte's bits reversed (the
/// key order the original VNC's DES code used, which every client keeps).
/// </summary>
internal sealed class VncAuthentication
{
    public const int ChallengeSize = 16;
    public const int MaxPasswordLength = 8;

    private readonly byte[] _key = new byte[8];

    /// <summary>Throws <see cref="ArgumentException"/> for a password DES cannot use (a weak key).</summary>
    public VncAuthentication(ReadOnlySpan<byte> password)
    {
        var used = password[..Math.Min(password.Length, MaxPasswordLength)];
        for (int i = 0; i < used.Length; i++) _key[i] = ReverseBits(used[i]);
        if (DES.IsWeakKey(_key) || DES.IsSemiWeakKey(_key)) throw new ArgumentException("this password makes a weak DES key: choose another");
    }

    public static void NewChallenge(Span<byte> challenge) => RandomNumberGenerator.Fill(challenge);

    /// <summary>Whether <paramref name="response"/> is the challenge encrypted under the password.</summary>
    public bool Accepts(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response)
    {
        Span<byte> expected = stackalloc byte[ChallengeSize];
        Encrypt(challenge, expected);
        return CryptographicOperations.FixedTimeEquals(expected, response);
    }

    /// <summary>What a client with this password answers (the test client uses it too).</summary>
    public void Encrypt(ReadOnlySpan<byte> challenge, Span<byte> response)
    {
        using var des = DES.Create();
        des.Key = _key;
        des.EncryptEcb(challenge[..ChallengeSize], response, PaddingMode.None);
    }

    private static byte ReverseBits(byte value)
    {
        int reversed = 0;
        for (int bit = 0; bit < 8; bit++) reversed |= ((value >> bit) & 1) << (7 - bit);
        return (byte)reversed;
    }
}
