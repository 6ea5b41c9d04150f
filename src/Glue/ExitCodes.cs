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
          0  the guest reset or powered off, or the VM was stopped (glue device: it was stopped by SIGTERM/SIGINT)
          1  the VM failed (emulation failure, triple fault, failed entry, KVM error)
          2  bad input (options, kernel, initrd, sizes, a VM name in use; screenshot: a VM without a display, a path it cannot write)
          3  pause/resume/stop/screenshot: no VM has that name
          4  pause/resume: the VM is already paused / is not paused
        """;
}
