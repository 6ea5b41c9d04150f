using System.Globalization;
using System.Runtime.InteropServices;

namespace Glue.Bench;

/// <summary>
/// The guests' TSC rate, from KVM itself (KVM_GET_TSC_KHZ on a throwaway vCPU): the test guest counts TSC ticks,
/// and neither glue's CPUID nor QEMU's (-cpu host) states the rate to it. In the software KVM host the question is
/// asked there, of its KVM, by python3 (the host has this machine's /usr, and no .NET program runs there).
/// </summary>
public static class BenchTsc
{
    // linux/kvm.h: _IO(KVMIO, n) with KVMIO 0xAE.
    private const ulong KVM_CREATE_VM = 0xae01, KVM_CREATE_VCPU = 0xae41, KVM_GET_TSC_KHZ = 0xaea3;
    private const int O_RDWR = 2, O_CLOEXEC = 0x80000;

    private const string AskInHost =
        "import fcntl, os; kvm = os.open('/dev/kvm', os.O_RDWR); vm = fcntl.ioctl(kvm, 0xae01, 0); " +
        "print(fcntl.ioctl(fcntl.ioctl(vm, 0xae41, 0), 0xaea3, 0))";

    public static double Hz() => (KvmHost.IsSoftware ? KiloHertzInHost() : KiloHertzHere()) * 1000.0;

    private static int KiloHertzInHost()
    {
        var sample = BenchProcess.Run("python3", ["-c", AskInHost], TimeSpan.FromMinutes(2));
        return sample.ExitCode == 0 && int.TryParse(sample.Output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int khz) && khz > 0
            ? khz
            : throw new BenchFailure($"KVM_GET_TSC_KHZ in the software KVM host failed (status {sample.ExitCode}): {ProcessSample.Tail(sample.Errors)}");
    }

    private static int KiloHertzHere()
    {
        int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1, vcpu = -1;
        try
        {
            if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
                throw new BenchFailure($"/dev/kvm: cannot make a vCPU to ask its TSC rate (errno {Marshal.GetLastPInvokeError()})");
            int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
            return khz > 0 ? khz : throw new BenchFailure($"KVM_GET_TSC_KHZ failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            foreach (int fd in (int[])[vcpu, vm, kvm])
                if (fd >= 0) close(fd);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, nint argument);

    [DllImport("libc")]
    private static extern int close(int fd);
}
