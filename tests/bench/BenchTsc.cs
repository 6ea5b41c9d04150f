using System.Runtime.InteropServices;

namespace Glue.Bench;

/// <summary>
/// The guests' TSC rate, from KVM itself (KVM_GET_TSC_KHZ on a throwaway vCPU): the test guest counts TSC ticks,
/// and neither glue's CPUID nor QEMU's (-cpu host) states the rate to it.
/// </summary>
public static class BenchTsc
{
    // linux/kvm.h: _IO(KVMIO, n) with KVMIO 0xAE.
    private const ulong KVM_CREATE_VM = 0xae01, KVM_CREATE_VCPU = 0xae41, KVM_GET_TSC_KHZ = 0xaea3;
    private const int O_RDWR = 2, O_CLOEXEC = 0x80000;

    public static double Hz()
    {
        int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1, vcpu = -1;
        try
        {
            if (kvm < 0 || (vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 || (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0)
                throw new BenchFailure($"/dev/kvm: cannot make a vCPU to ask its TSC rate (errno {Marshal.GetLastPInvokeError()})");
            int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
            if (khz <= 0) throw new BenchFailure($"KVM_GET_TSC_KHZ failed (errno {Marshal.GetLastPInvokeError()})");
            return khz * 1000.0;
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
