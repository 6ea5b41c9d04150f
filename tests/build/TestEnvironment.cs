namespace Glue.BuildTests;

/// <summary>
/// What `./build.sh test` hands these tests through the environment, and why a test cannot run when
/// something is missing. A test that lacks what it needs is reported skipped with that reason, never passed.
/// </summary>
public static class TestEnvironment
{
    public static string Binary => Required("GLUE_BINARY");
    public static string ManifestPath => Required("GLUE_MANIFEST");
    public static string Guest => Required("GLUE_GUEST");
    public static string Repository => Required("GLUE_REPO");

    /// <summary>glue built from tests/build/SeccompTrigger/seccomp-trigger.props, with the forbidden-call port (docs/security.md).</summary>
    public static string SeccompTriggerBinary => Required("GLUE_SECCOMP_TRIGGER_BINARY");

    /// <summary>The Debian Linux guest's directory: vmlinuz, vmlinux, initramfs.cpio.gz (tests/linux).</summary>
    public static string Linux => Required("GLUE_LINUX");

    /// <summary>The tests' KVM is PVM: guest CPL0 code is emulated, so Linux gets through its early boot only (shared/pvm/PVM.md).</summary>
    public static bool IsPvmHost => !KvmHost.IsSoftware && Directory.Exists("/sys/module/kvm_pvm");

    /// <summary>Null when the tests of the binary alone can run.</summary>
    public static string? MissingForGlue => Unset("GLUE_BINARY") ?? Unset("GLUE_MANIFEST") ?? Unset("GLUE_REPO");

    /// <summary>Null when the binary can boot the test guest.</summary>
    public static string? MissingForBoot => MissingForGlue ?? Unset("GLUE_GUEST") ?? MissingKvm;

    /// <summary>Null when the trigger build can boot the test guest.</summary>
    public static string? MissingForSeccompTrigger => MissingForBoot ?? MissingSeccompTriggerBinary;

    /// <summary>Null when the trigger build was handed over (./build.sh test publishes it for the default manifest's run).</summary>
    public static string? MissingSeccompTriggerBinary => Unset("GLUE_SECCOMP_TRIGGER_BINARY");

    /// <summary>Null when the binary can boot the Debian kernel.</summary>
    public static string? MissingForLinux => MissingForBoot ?? Unset("GLUE_LINUX");

    /// <summary>Null when the Debian kernel can boot all the way to user space: not on PVM, where its CPL0 code is emulated.</summary>
    public static string? MissingForFullLinuxBoot =>
        MissingForLinux ?? (IsPvmHost
            ? "/dev/kvm is PVM here: KVM's emulator runs the kernel's CPL0 code and stops at its int3 self-test; the early-boot tests cover this host"
            : null);

    /// <summary>Null when the Debian kernel can boot on qcow2 disks that qemu-img makes and checks, and e2fsck reads back.</summary>
    public static string? MissingForQcow2Linux =>
        MissingForFullLinuxBoot ?? QemuImg.Missing ?? (OnPath("e2fsck") ? null : "e2fsck is not installed");

    /// <summary>Null when QEMU can boot the test guest.</summary>
    public static string? MissingForQemu =>
        Unset("GLUE_GUEST") ?? MissingKvm ?? (OnPath("qemu-system-x86_64") ? null : "qemu-system-x86_64 is not installed");

    /// <summary>Null when QEMU can boot the Debian kernel under TCG (no /dev/kvm needed).</summary>
    public static string? MissingForQemuLinux =>
        Unset("GLUE_LINUX") ?? (OnPath("qemu-system-x86_64") ? null : "qemu-system-x86_64 is not installed");

    private static string? MissingKvm => KvmHost.IsSoftware || File.Exists("/dev/kvm") ? null : "/dev/kvm is missing and no software KVM host was given (GLUE_HOST_AGENT)";

    private static string? Unset(string variable) =>
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable))
            ? $"{variable} is not set: run these tests through ./build.sh test"
            : null;

    private static string Required(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(Unset(variable));

    public static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, program)));
}
