using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;
using Glue.Display;
using Glue.Display.Vnc;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>`--vnc ADDRESS[,password-file=PATH][,connections=N][,insecure]`: what it means, and a clear one-line reason for each bad value.</summary>
public class VncEndpointTests
{
    [Theory]
    [InlineData(":0", "127.0.0.1:5900")]
    [InlineData(":7", "127.0.0.1:5907")]
    [InlineData("127.0.0.1:6001", "127.0.0.1:6001")]
    [InlineData("localhost:5999", "127.0.0.1:5999")]
    [InlineData("0.0.0.0:5900,insecure", "0.0.0.0:5900")]
    [InlineData("[::]:5900,password-file=/etc/glue/vnc-pass", "[::]:5900")]
    [InlineData("[::1]:5901", "[::1]:5901")]
    [InlineData("unix:/tmp/vnc.sock", "unix:/tmp/vnc.sock")]
    public void An_address_parses_to_where_the_server_listens(string value, string described)
    {
        var endpoint = VncEndpoint.Parse(value);
        Assert.Equal(described, endpoint.Describe());
        Assert.Equal(VncEndpoint.DefaultConnections, endpoint.Connections);
    }

    [Fact]
    public void Connections_sets_the_number_of_clients_at_once()
    {
        Assert.Equal(3, VncEndpoint.Parse(":1,connections=3").Connections);
        Assert.Equal(VncEndpoint.MaxConnections, VncEndpoint.Parse("unix:/tmp/v.sock,connections=256").Connections);
    }

    [Fact]
    public void A_password_file_setting_follows_the_address()
    {
        var endpoint = VncEndpoint.Parse(":3,password-file=/etc/glue/vnc-pass");
        Assert.Equal("/etc/glue/vnc-pass", endpoint.PasswordFile);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 5903), endpoint.Address);
    }

    [Theory]
    [InlineData("5900", "expected :N, HOST:PORT or unix:PATH")]
    [InlineData(":x", "'x' is not a display number")]
    [InlineData(":-1", "'-1' is not a display number")]
    [InlineData(":59636", "display :59636 is out of range: use :0 to :59635")]
    [InlineData("127.0.0.1:0", "port 0 is out of range: use 1 to 65535")]
    [InlineData("127.0.0.1:65536", "port 65536 is out of range")]
    [InlineData("example.org:5900", "'example.org' is not an IP address")]
    [InlineData("::1:5900", "write an IPv6 address in brackets")]
    [InlineData("unix:", "unix: needs a path")]
    [InlineData(":1,pasword-file=/x", "unknown setting 'pasword-file=/x' (the settings are password-file=PATH, connections=N and insecure)")]
    [InlineData(":1,connections=0", "connections must be a number from 1 to 256")]
    [InlineData(":1,connections=257", "connections must be a number from 1 to 256")]
    [InlineData(":1,connections=x", "connections must be a number from 1 to 256")]
    [InlineData(":1,connections=2,connections=3", "connections is given twice")]
    [InlineData("0.0.0.0:5900", "VNC is not encrypted and this address is reachable from other hosts: add password-file=PATH")]
    [InlineData("[::]:5900", "or add insecure if this network is trusted")]
    [InlineData("192.0.2.1:5900,connections=2", "VNC is not encrypted")]
    [InlineData("unix:/nonexistent/dir/v.sock", "directory /nonexistent/dir does not exist: create it or give a path in one that does")]
    [InlineData("unix:/", "is a directory")]
    [InlineData(":1,password-file=", "unknown setting 'password-file='")]
    [InlineData(":1,password-file=/a,password-file=/b", "password-file is given twice")]
    public void A_malformed_address_is_refused_with_its_reason(string value, string reason)
    {
        var error = Assert.Throws<DeviceConfigException>(() => VncEndpoint.Parse(value));
        Assert.StartsWith($"--vnc {value}: ", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.DoesNotContain("\n", error.Message);
    }

    [Fact]
    public void A_unix_path_longer_than_sun_path_is_refused()
    {
        string path = "/tmp/" + new string('p', 103);
        Assert.NotNull(VncEndpoint.Parse("unix:" + path[..^1]));
        var error = Assert.Throws<DeviceConfigException>(() => VncEndpoint.Parse("unix:" + path));
        Assert.Contains("a Unix socket path must fit in 107", error.Message);
    }

    [Fact]
    public void An_address_in_use_is_refused()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var endpoint = new VncEndpoint(taken.LocalEndPoint!, null);

        var error = Assert.Throws<DeviceConfigException>(() => VncServer.Start(new GuestDisplay(), endpoint));
        Assert.Equal($"--vnc {endpoint.Describe()}: the address is in use: choose another display (:N) or port", error.Message);
    }

    [Fact]
    public void A_unix_path_already_present_is_refused_and_left_alone()
    {
        var directory = Directory.CreateTempSubdirectory("glue-vnc-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "vnc.sock");
            File.WriteAllText(path, "someone's");
            var error = Assert.Throws<DeviceConfigException>(() => VncServer.Start(new GuestDisplay(), VncEndpoint.Parse("unix:" + path)));
            Assert.Contains($"{path} already exists: remove it or choose another path", error.Message);
            Assert.Equal("someone's", File.ReadAllText(path));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_unix_socket_file_is_removed_when_the_server_ends()
    {
        var directory = Directory.CreateTempSubdirectory("glue-vnc-test-");
        try
        {
            string path = Path.Combine(directory.FullName, "vnc.sock");
            using (VncServer.Start(new GuestDisplay(), VncEndpoint.Parse("unix:" + path)))
            {
                Assert.True(File.Exists(path));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
            Assert.False(File.Exists(path));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "no such file: create it with the password on its first line")]
    [InlineData("", "the password is empty: put it on the file's first line")]
    [InlineData("\nsecond-line", "the password is empty: put it on the file's first line")]
    [InlineData("123456789", "VNC passwords are at most 8 bytes; this one is 9")]
    public void A_bad_password_file_is_refused(string? content, string reason)
    {
        using var directory = new PasswordDirectory();
        if (content is not null) File.WriteAllText(directory.File, content);
        AssertRefused(directory.File, reason);
    }

    [Fact]
    public void A_password_is_bytes_not_text()
    {
        using var directory = new PasswordDirectory();
        // Eight bytes that are not UTF-8 are eight bytes (decoded as UTF-8 they were 24), and DES takes any key.
        File.WriteAllBytes(directory.File, [.. Enumerable.Repeat((byte)0x80, 8), (byte)'\n']);
        Assert.Equal(Enumerable.Repeat((byte)0x80, 8), new VncEndpoint(new IPEndPoint(IPAddress.Loopback, 0), directory.File).ReadPassword());
        File.WriteAllBytes(directory.File, Enumerable.Repeat((byte)0x80, 9).ToArray());
        AssertRefused(directory.File, "VNC passwords are at most 8 bytes; this one is 9");
    }

    [Fact]
    public void A_huge_password_file_is_refused_by_size_before_it_is_read()
    {
        using var directory = new PasswordDirectory();
        using (var file = File.Create(directory.File)) file.SetLength(50L << 20); // sparse: reading it whole would show
        AssertRefused(directory.File, $"the file is {50L << 20} bytes; a password file holds the password on its first line and is at most 1024 bytes");
    }

    [Fact]
    public void A_password_file_that_is_a_directory_is_refused_in_glues_words()
    {
        using var directory = new PasswordDirectory();
        AssertRefused(directory.Path, "is a directory; it must be a regular file");
    }

    [Fact]
    public void A_password_file_that_is_a_fifo_is_refused_at_once()
    {
        using var directory = new PasswordDirectory();
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", directory.File)) mkfifo.WaitForExit();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        AssertRefused(directory.File, "is a FIFO; it must be a regular file");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"took {watch.Elapsed}");
    }

    private static void AssertRefused(string file, string reason)
    {
        var endpoint = new VncEndpoint(new IPEndPoint(IPAddress.Loopback, 0), file);
        var error = Assert.Throws<DeviceConfigException>(() => VncServer.Start(new GuestDisplay(), endpoint));
        Assert.Equal($"--vnc password-file={file}: {reason}", error.Message);
    }

    private sealed class PasswordDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("glue-vnc-test-").FullName;

        public string File => System.IO.Path.Combine(Path, "password");

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
