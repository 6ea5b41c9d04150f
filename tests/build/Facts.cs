using Xunit;

namespace Glue.BuildTests;

// Facts and theories that skip, with the reason, when the machine or the environment lacks what they need.

/// <summary>A test of the glue binary alone.</summary>
public sealed class GlueFactAttribute : FactAttribute
{
    public GlueFactAttribute() => Skip = TestEnvironment.MissingForGlue;
}

/// <summary>A theory of the glue binary alone.</summary>
public sealed class GlueTheoryAttribute : TheoryAttribute
{
    public GlueTheoryAttribute() => Skip = TestEnvironment.MissingForGlue;
}

/// <summary>A test that boots the test guest in glue, and so needs /dev/kvm.</summary>
public sealed class KvmFactAttribute : FactAttribute
{
    public KvmFactAttribute() => Skip = TestEnvironment.MissingForBoot;
}

/// <summary>A theory that boots the test guest in glue, and so needs /dev/kvm.</summary>
public sealed class KvmTheoryAttribute : TheoryAttribute
{
    public KvmTheoryAttribute() => Skip = TestEnvironment.MissingForBoot;
}

/// <summary>A theory that boots the test guest in glue built with the forbidden-call trigger (tests/build/SeccompTrigger).</summary>
public sealed class SeccompTriggerTheoryAttribute : TheoryAttribute
{
    public SeccompTriggerTheoryAttribute() => Skip = TestEnvironment.MissingForSeccompTrigger;
}

/// <summary>A test of the glue under test beside the build with the forbidden-call trigger.</summary>
public sealed class SeccompTriggerFactAttribute : FactAttribute
{
    public SeccompTriggerFactAttribute() => Skip = TestEnvironment.MissingForGlue ?? TestEnvironment.MissingSeccompTriggerBinary;
}

/// <summary>A test that boots the test guest in QEMU.</summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute() => Skip = TestEnvironment.MissingForQemu;
}

/// <summary>A test that boots the Debian kernel in glue.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute() => Skip = TestEnvironment.MissingForLinux;
}

/// <summary>A theory that boots the Debian kernel in glue.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute() => Skip = TestEnvironment.MissingForLinux;
}

/// <summary>A test that boots the Debian kernel to user space: it needs hardware virtualization.</summary>
public sealed class FullLinuxBootFactAttribute : FactAttribute
{
    public FullLinuxBootFactAttribute() => Skip = TestEnvironment.MissingForFullLinuxBoot;
}

/// <summary>A test that boots the Debian kernel under glue and under QEMU with -enable-kvm, where KVM is.</summary>
public sealed class LinuxAgainstQemuFactAttribute : FactAttribute
{
    public LinuxAgainstQemuFactAttribute() => Skip = TestEnvironment.MissingForFullLinuxBoot ?? TestEnvironment.MissingForQemu;
}

/// <summary>A test that boots the Debian kernel in QEMU under TCG, on a TAP in a private network namespace, and checks a disk with e2fsck.</summary>
public sealed class QemuLinuxNetFactAttribute : FactAttribute
{
    public QemuLinuxNetFactAttribute() =>
        Skip = TestEnvironment.MissingForQemuLinux ?? NetEnvironment.Missing ?? (TestEnvironment.OnPath("e2fsck") ? null : "e2fsck is not installed");
}

/// <summary>A test that boots the Debian kernel on qcow2 disks qemu-img makes and judges, with e2fsck reading them back.</summary>
public sealed class Qcow2LinuxFactAttribute : FactAttribute
{
    public Qcow2LinuxFactAttribute() => Skip = TestEnvironment.MissingForQcow2Linux;
}

/// <inheritdoc cref="Qcow2LinuxFactAttribute"/>
public sealed class Qcow2LinuxTheoryAttribute : TheoryAttribute
{
    public Qcow2LinuxTheoryAttribute() => Skip = TestEnvironment.MissingForQcow2Linux;
}

/// <summary>A test that boots the test guest on qcow2 images qemu-img makes and checks.</summary>
public sealed class Qcow2KvmFactAttribute : FactAttribute
{
    public Qcow2KvmFactAttribute() => Skip = TestEnvironment.MissingForBoot ?? QemuImg.Missing;
}
