using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Glue.Core.Devices;
using Glue.Core.Interop;

namespace Glue.Display.Vnc;

/// <summary>
/// Where a VNC server listens and how it admits clients, from
/// `--vnc ADDRESS[,password-file=PATH][,connections=N][,insecure]`: ADDRESS is `:N` (127.0.0.1, port 5900 + N, the
/// X display convention), `HOST:PORT` (an IP address, `[v6]:PORT`, or `localhost`), or `unix:PATH`. Only the address
/// the user wrote is listened on: `:N` is loopback. RFB has no encryption, so an address other hosts can reach needs
/// a password, or `insecure` to say the network is trusted (a tunnel's end); connections=N bounds the authenticated
/// clients, as QEMU's option of that name does.
/// </summary>
public sealed record VncEndpoint(EndPoint Address, string? PasswordFile, int Connections = VncEndpoint.DefaultConnections)
{
    /// <summary>How many authenticated clients may be connected at once without connections=N.</summary>
    public const int DefaultConnections = 16;

    /// <summary>The most connections=N takes: each client has two threads.</summary>
    public const int MaxConnections = 256;

    /// <summary>RFB's base port (RFC 6143 §1: display N is port 5900 + N).</summary>
    public const int BasePort = 5900;

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
        int? connections = null;
        bool insecure = false;
        foreach (var option in parts.Skip(1))
        {
            if (option.StartsWith("password-file=", StringComparison.Ordinal) && option.Length > "password-file=".Length)
            {
                if (passwordFile is not null) throw Bad(value, "password-file is given twice");
                passwordFile = option["password-file=".Length..];
            }
            else if (option.StartsWith("connections=", StringComparison.Ordinal))
            {
                if (connections is not null) throw Bad(value, "connections is given twice");
                if (!int.TryParse(option["connections=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > MaxConnections)
                    throw Bad(value, $"connections must be a number from 1 to {MaxConnections}");
                connections = count;
            }
            else if (option == "insecure") insecure = true;
            else throw Bad(value, $"unknown setting '{option}' (the settings are password-file=PATH, connections=N and insecure)");
        }
        var address = ParseAddress(value, parts[0]);
        if (address is IPEndPoint ip && !IPAddress.IsLoopback(ip.Address) && passwordFile is null && !insecure)
            throw Bad(value, "VNC is not encrypted and this address is reachable from other hosts: add password-file=PATH, "
                + "use :N or unix:PATH and tunnel to it (ssh -L), or add insecure if this network is trusted");
        return new VncEndpoint(address, passwordFile, connections ?? DefaultConnections);
    }

    private static EndPoint ParseAddress(string value, string address)
    {
        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            string path = address["unix:".Length..];
            if (path.Length == 0) throw Bad(value, "unix: needs a path, e.g. unix:/run/user/1000/vm.vnc");
            if (UnixSocketPath.Reason(path) is { } problem) throw Bad(value, problem);
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
