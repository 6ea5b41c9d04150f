using Glue.Core.Devices;

namespace Glue.Devices.Net;

/// <summary>One `--net tap=NAME[,mac=MAC]`: the host TAP to use, and the guest's MAC address if it was given.</summary>
public sealed record NetOptions(string TapName, MacAddress? Mac)
{
    /// <summary>Parses one --net value; anything it cannot use throws <see cref="DeviceConfigException"/>.</summary>
    public static NetOptions Parse(string value)
    {
        string? tap = null;
        MacAddress? mac = null;
        foreach (var pair in value.Split(','))
        {
            int equals = pair.IndexOf('=');
            string key = equals < 0 ? pair : pair[..equals];
            string setting = equals < 0 ? "" : pair[(equals + 1)..];
            switch (key)
            {
                case "tap" when tap is null && setting.Length > 0:
                    tap = setting;
                    break;
                case "mac" when mac is null:
                    if (!MacAddress.TryParse(setting, out var parsed))
                        throw new DeviceConfigException($"--net: mac '{setting}' is not six hex bytes like 52:54:00:12:34:56");
                    if (parsed.IsMulticast)
                        throw new DeviceConfigException($"--net: mac {parsed} is a multicast address (bit 0 of the first byte is set)");
                    if (parsed == default)
                        throw new DeviceConfigException("--net: mac 00:00:00:00:00:00 is not an address");
                    mac = parsed;
                    break;
                default:
                    throw new DeviceConfigException($"--net: '{pair}' is not tap=NAME or mac=MAC (given once each) in '{value}'");
            }
        }
        if (tap is null) throw new DeviceConfigException($"--net: '{value}' names no TAP (expected tap=NAME[,mac=MAC])");
        return new NetOptions(tap, mac);
    }
}
