namespace Glue.Bench;

/// <summary>QEMU as the bench runs it: microvm on KVM, as tests/guest/README.md's "Under QEMU" does.</summary>
public static class BenchQemu
{
    public const string Program = "qemu-system-x86_64";

    /// <summary>isa-debug-exit turns the guest's `out 0xf4, 0` (all passed) into QEMU's exit status 1.</summary>
    public const int Success = 1;

    public static readonly string[] Microvm =
    [
        "-M", "microvm", "-enable-kvm", "-cpu", "host,-arch-capabilities", "-nodefaults", "-no-user-config",
        "-nographic", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-m", "512",
    ];

    /// <summary>Virtio-mmio version 2 devices, named on the command line (virtio_mmio.device=) without ACPI.</summary>
    public static readonly string[] VirtioMmio = ["-M", "microvm,acpi=off", "-global", "virtio-mmio.force-legacy=false"];

    public static string? Missing => Find(Program) is null ? $"{Program} is not installed" : null;

    /// <summary>The test guest under QEMU with this command line; a case's own -M comes later and QEMU takes the last.</summary>
    public static string[] Guest(string guest, string commandLine, params string[] extra) =>
        [.. Microvm, .. extra, "-kernel", guest, "-append", commandLine];

    /// <summary>The program's path on PATH, or null.</summary>
    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);
}
