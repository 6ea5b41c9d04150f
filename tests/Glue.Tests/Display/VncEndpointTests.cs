using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;
using Glue.Display;
using Glue.Display.Vnc;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>`--vnc ADDRESS[,password-file=PATH]`: what it means, and a clear one-line reason for each bad value.</summary>
public class VncEndpointTests
{
    [Theory]
    [InlineData(":0", "127.0.0.1:5900")]
    [InlineData(":7", "127.0.0.1:5907")]
    [InlineData("127.0.0.1:6001", "127.0.0.1:6001")]
    [InlineData("localhost:5999", "127.0.0.1:5999")]
    [InlineData("0.0.0.0:5900", "0.0.0.0:5900")]
    [InlineData("[::1]:5901", "[::1]:5901")]
    [InlineData("unix:/tmp/x/vnc.sock", "unix:/tmp/x/vnc.sock")]
    public void An_address_parses_to_where_the_server_listens(string value, string described)
    {
        var endpoint = VncEndpoint.Parse(value);
        Assert.Equal(described, endpoint.Describe());
        Assert.Null(endpoint.PasswordFile);
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
    [InlineData(":1,pasword-file=/x", "unknown setting 'pasword-file=/x'")]
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
        Assert.Contains("longer than the 107 bytes", error.Message);
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
    [InlineData(null, "does not exist: create it with the password on its first line")]
    [InlineData("", "is empty: put the password on its first line")]
    [InlineData("\nsecond-line", "is empty")]
    [InlineData("123456789", "VNC passwords are at most 8 bytes; this one is 9")]
    public void A_bad_password_file_is_refused(string? content, string reason)
    {
        var directory = Directory.CreateTempSubdirectory("glue-vnc-test-");
        try
        {
            string file = Path.Combine(directory.FullName, "password");
            if (content is not null) File.WriteAllText(file, content);
            var endpoint = new VncEndpoint(new IPEndPoint(IPAddress.Loopback, 0), file);

            var error = Assert.Throws<DeviceConfigException>(() => VncServer.Start(new GuestDisplay(), endpoint));
            Assert.StartsWith($"--vnc password file {file}", error.Message);
            Assert.Contains(reason, error.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
