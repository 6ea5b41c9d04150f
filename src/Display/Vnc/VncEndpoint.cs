using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;

namespace Glue.Display.Vnc;

/// <summary>
/// Where a VNC server listens and how it admits clients, from `--vnc ADDRESS[,password-file=PATH]`: ADDRESS is
/// `:N` (127.0.0.1, port 5900 + N, the X display convention), `HOST:PORT` (an IP address, `[v6]:PORT`, or
/// `localhost`), or `unix:PATH`. Only the address the user wrote is listened on: `:N` is loopback.
/// </summary>
public sealed record VncEndpoint(EndPoint Address, string? PasswordFile)
{
    /// <summary>RFB's base port (RFC 6143 §1: display N is port 5900 + N).</summary>
    public const int BasePort = 5900;

    /// <summary>sun_path holds 108 bytes, one of them the terminating NUL (unix(7)).</summary>
    public const int MaxUnixPathBytes = 107;

    public bool IsUnix => Address is UnixDomainSocketEndPoint;

    /// <summary>The address as a user writes it, for messages.</summary>
    public string Describe() => Address switch
    {
        UnixDomainSocketEndPoint unix => $"unix:{unix}",
        IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip => $"[{ip.Address}]:{ip.Port}",
        _ => Address.ToString() ?? "",
    };

    /// <summary>
    /// The password <see cref="PasswordFile"/> holds, or null without one; a missing, unreadable, empty or too long
    /// one throws <see cref="DeviceConfigException"/> naming the problem and the fix.
    /// </summary>
    public byte[]? ReadPassword() => PasswordFile is { } file ? VncPasswordFile.Read(file) : null;

    /// <summary>Parses the option's value; throws <see cref="DeviceConfigException"/> naming the problem and the fix.</summary>
    public static VncEndpoint Parse(string value)
    {
        var parts = value.Split(',');
        string? passwordFile = null;
        foreach (var option in parts.Skip(1))
        {
            if (option.StartsWith("password-file=", StringComparison.Ordinal) && option.Length > "password-file=".Length)
            {
                if (passwordFile is not null) throw Bad(value, "password-file is given twice");
                passwordFile = option["password-file=".Length..];
            }
            else throw Bad(value, $"unknown setting '{option}' (the one there is: password-file=PATH)");
        }
        return new VncEndpoint(ParseAddress(value, parts[0]), passwordFile);
    }

    private static EndPoint ParseAddress(string value, string address)
    {
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address["unix:".Length..];
            if (path.Length == 0) throw Bad(value, "unix: needs a path, e.g. unix:/run/user/1000/vm.vnc");
            if (System.Text.Encoding.UTF8.GetByteCount(path) > MaxUnixPathBytes)
                throw Bad(value, $"the socket path is longer than the {MaxUnixPathBytes} bytes a Unix socket address holds: use a shorter one");
            return new UnixDomainSocketEndPoint(path);
        }
        int colon = address.LastIndexOf(':');
        if (colon < 0) throw Bad(value, "expected :N, HOST:PORT or unix:PATH");
        string host = address[..colon], portText = address[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
            throw Bad(value, $"'{portText}' is not a {(host.Length == 0 ? "display number" : "port")}");
        if (host.Length == 0)
        {
            if (number > IPEndPoint.MaxPort - BasePort) throw Bad(value, $"display :{number} is out of range: use :0 to :{IPEndPoint.MaxPort - BasePort}");
            return new IPEndPoint(IPAddress.Loopback, BasePort + number);
        }
        if (number is < 1 or > IPEndPoint.MaxPort) throw Bad(value, $"port {number} is out of range: use 1 to {IPEndPoint.MaxPort}");
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        else if (host.Contains(':')) throw Bad(value, "write an IPv6 address in brackets, e.g. [::1]:5900");
        if (host == "localhost") return new IPEndPoint(IPAddress.Loopback, number);
        if (!IPAddress.TryParse(host, out var ip)) throw Bad(value, $"'{host}' is not an IP address (give one, or localhost)");
        return new IPEndPoint(ip, number);
    }

    private static DeviceConfigException Bad(string value, string problem) => new($"--vnc {value}: {problem}");
}
