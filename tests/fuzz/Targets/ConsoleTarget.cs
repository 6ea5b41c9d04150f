using Glue.Devices.VirtioConsole;

namespace Glue.Fuzz.Targets;

/// <summary>virtio-console: transmit chains to a discarding output, receive buffers for (absent) input.</summary>
internal static class ConsoleTarget
{
    private static readonly DeviceHarness Harness = new("console", _ => new VirtioConsoleDevice(Stream.Null));

    public static void Run(byte[] data) => Harness.Run(data);
}
