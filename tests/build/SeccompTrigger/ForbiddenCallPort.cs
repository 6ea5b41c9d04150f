using System.Runtime.InteropServices;
using Glue.Core.Bus;
using Glue.Core.Machine;
using Glue.Virtio.Events;

namespace Glue;

/// <summary>
/// Test-only, compiled into glue only by seccomp-trigger.props (src/Glue/Glue.csproj includes this folder when
/// GlueSeccompTrigger is true), so no manifest's binary has it. With GLUE_SECCOMP_TRIGGER=vcpu or =device, a guest
/// write to port 0x7e0 (the test guest's glue.mode=exits port) makes that kind of thread call socket(AF_INET): the
/// process filter allows it (VNC listens on TCP) and the vCPU's and the device thread's filters do not.
/// </summary>
internal static partial class RunCommand
{
    static partial void AttachTestDevices(VirtualMachine vm)
    {
        if (Environment.GetEnvironmentVariable("GLUE_SECCOMP_TRIGGER") is { } thread) vm.Ports.Register(ForbiddenCallPort.Port, 1, new ForbiddenCallPort(thread));
    }
}

internal sealed partial class ForbiddenCallPort(string thread) : IBusDevice
{
    public const ulong Port = 0x7e0;
    private const int AF_INET = 2;
    private const int SOCK_STREAM = 1;

    private readonly EventLoop? _device = thread == "device" ? new EventLoop("seccomp-trigger") : null;

    public void Read(ulong offset, Span<byte> data) => data.Fill(0xff);

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (_device is not null) _device.Invoke(CallForbidden);
        else CallForbidden();
    }

    private static void CallForbidden() => Socket(AF_INET, SOCK_STREAM, 0);

    [LibraryImport("libc", EntryPoint = "socket")]
    private static partial int Socket(int domain, int type, int protocol);
}
