using Glue.TestSupport;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// glue needs no OpenSSL: `ldd glue` names only libc and libm, and nothing loads libssl later either. .NET's
/// cryptography would (its RandomNumberGenerator and DES dlopen libssl by name), so Glue takes random bytes from
/// getrandom and has its own DES for VNC Authentication. The proof runs glue in a mount namespace where every
/// libssl and libcrypto on the system is /dev/null, so a dlopen of either fails as it would where OpenSSL is not installed.
/// </summary>
public class LibsslFreeTests
{
    /// <summary>Runs the rest of the command line with every libssl and libcrypto hidden, after checking a dlopen of libssl fails.</summary>
    private static readonly string[] WithoutLibssl =
    [
        "unshare", "-m", "--propagation", "private", "sh", "-c",
        """
        set -e
        for f in $(find /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib -maxdepth 3 \( -name 'libssl*.so*' -o -name 'libcrypto*.so*' \) 2>/dev/null); do
          mount --bind /dev/null "$(readlink -f "$f")"
        done
        if command -v python3 >/dev/null && python3 -c 'import ctypes; ctypes.CDLL("libssl.so.3")' 2>/dev/null; then echo "libssl still loads" >&2; exit 99; fi
        exec "$@"
        """,
        "sh",
    ];

    [WithoutLibsslFact]
    [Trait("Transport", "vhost-user"), Trait("Device", "gpu")]
    public async Task Vnc_authentication_works_where_libssl_cannot_load()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "gpu.sock"), vnc = Path.Combine(directory.Path, "vnc.sock"), password = Path.Combine(directory.Path, "password");
        await File.WriteAllBytesAsync(password, [0xc3, 0x28, (byte)'p', (byte)'w', (byte)'\n']); // bytes, not UTF-8
        using var device = await GlueDevice.StartAsync(socket, ["gpu", "--socket", socket, "--vnc", $"unix:{vnc},password-file={password}"], wrapper: WithoutLibssl);

        using (var good = RfbTestClient.Connect(new UnixDomainSocketEndPoint(vnc)))
            Assert.Null(good.Handshake("003.008", [0xc3, 0x28, (byte)'p', (byte)'w']));
        using (var wrong = RfbTestClient.Connect(new UnixDomainSocketEndPoint(vnc)))
            Assert.Equal("authentication failed", wrong.Handshake("003.008", "guess"u8.ToArray()));
        var run = await device.StopAsync();

        Assert.True(run.ExitCode == 0, run.Describe());
        Assert.DoesNotContain(run.Stderr, line => line.Contains("libssl", StringComparison.OrdinalIgnoreCase));
        // -v shows the wrong password.
        Assert.Contains(run.Stderr, line => line.StartsWith("glue: vnc: wrong password from the Unix socket (1 in a row", StringComparison.Ordinal));
    }

    [WithoutLibsslFact(withTap: true)]
    [Trait("Transport", "vhost-user"), Trait("Device", "net")]
    public async Task A_random_mac_needs_no_libssl()
    {
        using var directory = new TempDirectory();
        using var ns = await NetworkNamespace.CreateAsync(inKvmHost: false);
        string socket = Path.Combine(directory.Path, "net.sock");
        // No mac=: the device makes a random one as it is created, before it listens.
        using var device = await GlueDevice.StartAsync(socket, ["net", "--socket", socket, "--net", "tap=nossl0"], ns, WithoutLibssl);
        var run = await device.StopAsync();

        Assert.True(run.ExitCode == 0, run.Describe());
    }

    [GlueFact]
    public void The_binary_holds_no_openssl_name()
    {
        // The names .NET's System.Security.Cryptography.Native shim probes for ("libssl.so.3", ...) are strings in any binary that has it.
        var binary = File.ReadAllBytes(TestEnvironment.Binary);
        foreach (var name in new[] { "libssl", "libcrypto", "System.Security.Cryptography" })
            Assert.True(binary.AsSpan().IndexOf(Encoding.ASCII.GetBytes(name)) < 0, $"{TestEnvironment.Binary} holds '{name}'");
    }
}

/// <summary>A test of glue in a mount namespace of its own (root), with a TAP in a network namespace when <c>withTap</c>.</summary>
public sealed class WithoutLibsslFactAttribute : FactAttribute
{
    public WithoutLibsslFactAttribute(bool withTap = false) =>
        Skip = TestEnvironment.MissingForGlue ?? (Environment.UserName != "root" ? "a mount namespace needs root" : withTap ? NetEnvironment.Missing : null);
}
