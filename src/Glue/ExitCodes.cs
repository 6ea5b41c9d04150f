namespace Glue;

/// <summary>What glue's exit status means; --help prints this table.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int VmFailed = 1;
    public const int BadInput = 2;
    public const int NoSuchVm = 3;
    public const int WrongState = 4;

    public static string Describe(string summary) =>
        $"""
        {summary}

        Exit status:
          0  the guest reset or powered off, or the VM was stopped (also by its stdout closing; glue device: by SIGTERM/SIGINT)
          1  the VM failed (emulation failure, triple fault, failed entry, KVM error)
          2  bad input (options, kernel, initrd, disk, sizes, names, the runtime directory, a disk or CID another VM holds; screenshot: a VM without a display, a path it cannot write; snapshot: a DIR that is not new or empty and writable, a device that cannot be saved yet; run --restore: a snapshot glue cannot use)
          3  pause/resume/stop/screenshot/snapshot: no VM has that name
          4  pause/resume: the VM is already paused / is not paused
          128+N  killed by signal N before glue could handle it
          159  a thread made a system call its seccomp filter forbids (the line before names it; see --seccomp)
        """;
}
