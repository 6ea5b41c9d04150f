using Glue.Core.Interop;

namespace Glue.Display.Vnc;

/// <summary>
/// VNC Authentication (RFC 6143 §7.2.2): the server sends 16 random bytes, the client returns them DES-encrypted
/// (ECB, two blocks) under a key made of the password's first 8 bytes, zero-padded, each byte's bits reversed (the
/// key order the original VNC's DES code used, which every client keeps). The password is bytes, as the RFC has it.
/// </summary>
internal sealed class VncAuthentication
{
    public const int ChallengeSize = 16;
    public const int MaxPasswordLength = 8;
    private const int BlockSize = 8;

    private readonly DesCipher _cipher;

    public VncAuthentication(ReadOnlySpan<byte> password)
    {
        Span<byte> key = stackalloc byte[MaxPasswordLength];
        key.Clear();
        var used = password[..Math.Min(password.Length, MaxPasswordLength)];
        for (int i = 0; i < used.Length; i++) key[i] = ReverseBits(used[i]);
        _cipher = new DesCipher(key);
    }

    public static void NewChallenge(Span<byte> challenge) => GetRandom.Fill(challenge);

    /// <summary>Whether <paramref name="response"/> is the challenge encrypted under the password; compared in constant time.</summary>
    public bool Accepts(ReadOnlySpan<byte> challenge, ReadOnlySpan<byte> response)
    {
        Span<byte> expected = stackalloc byte[ChallengeSize];
        Encrypt(challenge, expected);
        int difference = response.Length ^ ChallengeSize;
        for (int i = 0; i < ChallengeSize && i < response.Length; i++) difference |= expected[i] ^ response[i];
        return difference == 0;
    }

    /// <summary>What a client with this password answers (the test client uses it too).</summary>
    public void Encrypt(ReadOnlySpan<byte> challenge, Span<byte> response)
    {
        for (int block = 0; block < ChallengeSize; block += BlockSize)
            _cipher.EncryptBlock(challenge.Slice(block, BlockSize), response.Slice(block, BlockSize));
    }

    private static byte ReverseBits(byte value)
    {
        int reversed = 0;
        for (int bit = 0; bit < 8; bit++) reversed |= ((value >> bit) & 1) << (7 - bit);
        return (byte)reversed;
    }
}
