using System.Globalization;
using Glue.Core.Devices;
using Glue.Display;

namespace Glue.Devices.Gpu;

/// <summary>
/// `--gpu [width=W,height=H,max-memory=SIZE]`: the display mode the device offers (default 1280x800) and the bound
/// on host memory the guest's resources may take (default 256M; K, M and G suffixes).
/// </summary>
public sealed record GpuOptions(int Width, int Height, ulong MaxMemory)
{
    public const int MinSide = 16;                                  // QEMU refuses smaller scanouts too
    public const int MaxSide = Edid.MaxSide;                        // what an EDID timing can state
    public const ulong DefaultMaxMemory = 256UL << 20;
    public const ulong MaxMaxMemory = 16UL << 30;

    public static readonly GpuOptions Default = new(GuestDisplay.DefaultWidth, GuestDisplay.DefaultHeight, DefaultMaxMemory);

    public static GpuOptions Parse(string option, string value)
    {
        var options = Default;
        if (value is "" or "on") return options;
        foreach (var part in value.Split(','))
        {
            int equals = part.IndexOf('=');
            string key = equals < 0 ? part : part[..equals], v = equals < 0 ? "" : part[(equals + 1)..];
            options = key switch
            {
                "width" => options with { Width = Side(option, key, v) },
                "height" => options with { Height = Side(option, key, v) },
                "max-memory" => options with { MaxMemory = Size(option, v) },
                _ => throw new DeviceConfigException($"{option} {value}: unknown setting '{part}' (expected width=W,height=H,max-memory=SIZE)"),
            };
        }
        ulong framebuffer = (ulong)options.Width * (ulong)options.Height * 4;
        if (options.MaxMemory < framebuffer)
            throw new DeviceConfigException($"{option}: max-memory {options.MaxMemory} bytes cannot hold one {options.Width}x{options.Height} framebuffer ({framebuffer} bytes)");
        return options;
    }

    private static int Side(string option, string key, string v) =>
        int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= MinSide and <= MaxSide
            ? n
            : throw new DeviceConfigException($"{option}: {key} '{v}' must be a number of pixels from {MinSide} to {MaxSide}");

    private static ulong Size(string option, string v)
    {
        int shift = v.Length == 0 ? 0 : char.ToUpperInvariant(v[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 };
        string digits = shift == 0 ? v : v[..^1];
        if (!ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) || n == 0 || n > MaxMaxMemory >> shift)
            throw new DeviceConfigException($"{option}: max-memory '{v}' must be a size such as 256M, at most 16G");
        return n << shift;
    }
}
