using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Kvm.Uapi;
using static Glue.Core.Kvm.KvmIoctls;

namespace Glue.Core.Kvm;

/// <summary>The KVM system handle (/dev/kvm): capabilities, supported CPUID, and VM creation.</summary>
public sealed unsafe class KvmSystem : IDisposable
{
    public const string DevicePath = "/dev/kvm";

    private readonly SafeFd _fd;

    private KvmSystem(SafeFd fd) => _fd = fd;

    /// <summary>Opens /dev/kvm and checks the API version; throws <see cref="KvmUnavailableException"/>, naming the fix, if it cannot.</summary>
    public static KvmSystem Open()
    {
        int fd = Libc.Open(DevicePath, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new KvmUnavailableException($"cannot open {DevicePath}: {Libc.ErrorText(errno)}; {OpenFix(errno)}");
        }
        var system = new KvmSystem(new SafeFd(fd));
        int version = Libc.Ioctl(fd, KVM_GET_API_VERSION, 0);
        if (version != KVM_API_VERSION)
        {
            system.Dispose();
            throw new KvmUnavailableException($"{DevicePath} speaks KVM API {version}, Glue needs {KVM_API_VERSION}");
        }
        return system;
    }

    private const int EPERM = 1, EACCES = 13;

    /// <summary>What the user can do when /dev/kvm will not open: a user without access is let in; otherwise (missing: ENOENT, no driver: ENXIO) the host lacks KVM.</summary>
    private static string OpenFix(int errno) => errno switch
    {
        EACCES or EPERM => $"ask for read-write access to {DevicePath} (on most distributions: join the kvm group, then log in again)",
        _ => "load kvm-intel or kvm-amd (modprobe), or use ./build.sh run, which boots the test guest in an emulated KVM host",
    };

    /// <summary>
    /// Which KVM module this is, read once as the type is first used (opening /dev/kvm, in set-up): the vCPU threads
    /// that ask later (an emulation failure's report, a restore on AMD) may not stat (docs/security.md).
    /// </summary>
    static KvmSystem()
    {
        IsPvmHost = Directory.Exists("/sys/module/kvm_pvm");
        IsSvmHost = Directory.Exists("/sys/module/kvm_amd");
    }

    /// <summary>True when /dev/kvm is PVM (software virtualization), where guest CPL0 code is emulated.</summary>
    public static bool IsPvmHost { get; }

    /// <summary>True when /dev/kvm is AMD SVM (kvm_amd).</summary>
    public static bool IsSvmHost { get; }

    /// <summary>KVM_CHECK_EXTENSION: 0 when absent, otherwise a capability-specific positive value.</summary>
    public int CheckExtension(int capability) => Math.Max(0, Libc.Ioctl(_fd.Fd, KVM_CHECK_EXTENSION, capability));

    /// <summary>The most vCPUs one VM may have (KVM_CAP_MAX_VCPUS, falling back to KVM_CAP_NR_VCPUS, then 4 as the API documents).</summary>
    public int MaxVcpus
    {
        get
        {
            int max = CheckExtension(KVM_CAP_MAX_VCPUS);
            if (max > 0) return max;
            int nr = CheckExtension(KVM_CAP_NR_VCPUS);
            return nr > 0 ? nr : 4;
        }
    }

    public int VcpuMmapSize
    {
        get
        {
            int size = Libc.Ioctl(_fd.Fd, KVM_GET_VCPU_MMAP_SIZE, 0);
            if (size < 0) throw NativeError.FromLastError("KVM_GET_VCPU_MMAP_SIZE");
            return size;
        }
    }

    /// <summary>KVM_GET_SUPPORTED_CPUID: every leaf this host can give a guest.</summary>
    public kvm_cpuid_entry2[] GetSupportedCpuid()
    {
        // KVM answers E2BIG until the buffer is large enough.
        for (int capacity = 128; ; capacity *= 2)
        {
            int bytes = sizeof(kvm_cpuid2) + capacity * sizeof(kvm_cpuid_entry2);
            byte* buffer = (byte*)NativeMemory.AllocZeroed((nuint)bytes);
            try
            {
                ((kvm_cpuid2*)buffer)->nent = (uint)capacity;
                if (Libc.Ioctl(_fd.Fd, KVM_GET_SUPPORTED_CPUID, buffer) == 0)
                {
                    var header = (kvm_cpuid2*)buffer;
                    return new ReadOnlySpan<kvm_cpuid_entry2>(buffer + sizeof(kvm_cpuid2), (int)header->nent).ToArray();
                }
                const int E2BIG = 7;
                int errno = Marshal.GetLastPInvokeError();
                if (errno != E2BIG || capacity >= 4096) throw new NativeError("KVM_GET_SUPPORTED_CPUID", errno);
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    /// <summary>KVM_GET_MSR_INDEX_LIST: the MSRs KVM saves and restores for a guest (TSC and kvmclock's among them).</summary>
    public uint[] GetMsrIndexList()
    {
        // KVM answers E2BIG, with the count it needs in nmsrs, until the buffer is large enough.
        for (int capacity = 256; ; capacity *= 2)
        {
            var buffer = new uint[1 + capacity];
            buffer[0] = (uint)capacity;
            fixed (uint* list = buffer)
            {
                if (Libc.Ioctl(_fd.Fd, KVM_GET_MSR_INDEX_LIST, list) == 0) return buffer.AsSpan(1, (int)buffer[0]).ToArray();
            }
            const int E2BIG = 7;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != E2BIG || capacity >= 16384) throw new NativeError("KVM_GET_MSR_INDEX_LIST", errno);
        }
    }

    /// <summary>KVM_CREATE_VM with the default machine type.</summary>
    public KvmVm CreateVm()
    {
        int fd = Libc.Ioctl(_fd.Fd, KVM_CREATE_VM, 0);
        if (fd < 0) throw NativeError.FromLastError("KVM_CREATE_VM");
        return new KvmVm(this, new SafeFd(fd));
    }

    public void Dispose() => _fd.Dispose();
}

/// <summary>KVM cannot be used on this host at all.</summary>
public sealed class KvmUnavailableException(string message) : Exception(message);
