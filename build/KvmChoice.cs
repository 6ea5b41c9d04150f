namespace Glue.Build;

/// <summary>
/// Which KVM the tests, `run` and the bench use: this machine's /dev/kvm when the CPU virtualizes in hardware, else
/// the software KVM host (tests/host/README.md), where QEMU's emulated AMD SVM gives a kernel a real /dev/kvm.
/// GLUE_KVM=direct|host|auto (default auto) forces either. The reason is said in one line with the choice.
/// </summary>
public sealed record KvmChoice(bool InSoftwareHost, string Reason)
{
    public const string Variable = "GLUE_KVM";

    public static KvmChoice Make()
    {
        var forced = Environment.GetEnvironmentVariable(Variable);
        switch (forced)
        {
            case "direct":
                return new(false, $"{Variable}=direct");
            case "host":
                return new(true, $"{Variable}=host");
            case null or "" or "auto":
                break;
            default:
                throw new UsageError($"{Variable}={forced} is not direct, host or auto");
        }
        if (!File.Exists("/dev/kvm"))
            return new(true, "/dev/kvm is missing");
        // PVM (shared/pvm/PVM.md) emulates a guest kernel's own code and cannot run Linux past its early boot.
        if (Directory.Exists("/sys/module/kvm_pvm"))
            return new(true, "/dev/kvm is PVM, which cannot run a guest kernel's own code");
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(line => line.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        var words = flags.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Contains("vmx") || words.Contains("svm")
            ? new(false, $"/dev/kvm with hardware virtualization ({(words.Contains("vmx") ? "vmx" : "svm")})")
            : new(true, "/dev/kvm is there but the CPU shows neither vmx nor svm");
    }

    public override string ToString() => InSoftwareHost
        ? $"KVM: the software KVM host (QEMU TCG, -cpu max: emulated AMD SVM with nested paging), since {Reason}"
        : $"KVM: this machine's /dev/kvm, since {Reason}";
}
