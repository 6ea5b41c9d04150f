using System.Diagnostics;
using Glue.Display.Vnc;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>Glue's own DES (FIPS 46-3) and VNC Authentication's use of it (RFC 6143 §7.2.2), against known answers.</summary>
public class DesCipherTests
{
    [Theory]
    // FIPS 81's and the classic worked example's known answers.
    [InlineData("0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815")]
    [InlineData("133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405")]
    [InlineData("0000000000000000", "0000000000000000", "8ca64de9c1b123a7")]
    [InlineData("ffffffffffffffff", "ffffffffffffffff", "7359b2163e4edc58")]
    [InlineData("0101010101010101", "95f8a5e5dd31d900", "8000000000000000")] // a weak key: DES still encrypts with it
    public void ABlockEncryptsToTheKnownAnswer(string key, string plain, string cipher)
    {
        var output = new byte[8];
        new DesCipher(Convert.FromHexString(key)).EncryptBlock(Convert.FromHexString(plain), output);
        Assert.Equal(cipher, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void Random_keys_and_blocks_match_openssl()
    {
        // Where openssl is installed, its DES-ECB is the reference for keys and blocks no table holds.
        string? openssl = Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(d => Path.Combine(d, "openssl")).FirstOrDefault(File.Exists);
        if (openssl is null) return;
        var random = new Random(6143);
        for (int i = 0; i < 8; i++)
        {
            var key = new byte[8];
            var plain = new byte[8];
            random.NextBytes(key);
            random.NextBytes(plain);
            var ours = new byte[8];
            new DesCipher(key).EncryptBlock(plain, ours);
            Assert.Equal(OpenSslDes(openssl, key, plain), ours);
        }
    }

    [Fact]
    public void A_vnc_response_is_the_challenge_under_the_bit_reversed_password()
    {
        // The password "password": each byte bit-reversed is the DES key 0e86ceceeef64e26; the challenge is 16 bytes 00..0f; the answer was computed by openssl enc -des-ecb.
        var challenge = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        var response = new byte[16];
        new VncAuthentication("password"u8).Encrypt(challenge, response);
        var expected = new byte[16];
        var key = new DesCipher(Convert.FromHexString("0e86ceceeef64e26"));
        key.EncryptBlock(challenge.AsSpan(0, 8), expected.AsSpan(0, 8));
        key.EncryptBlock(challenge.AsSpan(8, 8), expected.AsSpan(8, 8));
        Assert.Equal(expected, response);
        Assert.Equal("b866924125c8eebb9debc1db61c538e2", Convert.ToHexStringLower(response));
        Assert.True(new VncAuthentication("password"u8).Accepts(challenge, response));
        Assert.False(new VncAuthentication("passwore"u8).Accepts(challenge, response));
    }

    private static byte[] OpenSslDes(string openssl, byte[] key, byte[] plain)
    {
        var start = new ProcessStartInfo(openssl, ["enc", "-des-ecb", "-nopad", "-provider", "legacy", "-provider", "default", "-K", Convert.ToHexString(key)])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.StandardInput.BaseStream.Write(plain);
        process.StandardInput.Close();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl: {process.StandardError.ReadToEnd()}");
        return output.ToArray();
    }
}
