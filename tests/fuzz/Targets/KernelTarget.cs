using Glue.Core.Boot;
using Glue.Core.Memory;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A hostile kernel file through <see cref="KernelLoader"/> into 64 MiB of guest memory: the first input byte
/// picks the boot protocol asked for (auto, PVH, Linux 64-bit), the rest is the file: ELF headers, program
/// headers and segments, the PVH and Linux notes, or a bzImage setup header. A refusal is a
/// <see cref="BootException"/>.
/// </summary>
internal static class KernelTarget
{
    private static readonly GuestMemory Memory = new([new GuestRegion(new GuestAddress(0), 64 << 20)]);
    private static readonly ScratchFile Kernel = new("kernel");
    private static readonly BootProtocol[] Protocols = [BootProtocol.Auto, BootProtocol.Pvh, BootProtocol.Linux64];

    public static void Run(byte[] data)
    {
        var protocol = data.Length > 0 ? Protocols[data[0] % Protocols.Length] : BootProtocol.Auto;
        string kernel = Kernel.Write(data.Length > 0 ? data.AsSpan(1) : []);
        try
        {
            KernelLoader.Load(Memory, new BootRequest(kernel, null, "console=ttyS0", protocol));
        }
        catch (BootException)
        {
        }
    }
}
