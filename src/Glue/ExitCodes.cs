namespace Glue;

/// <summary>What glue's exit status means; --help prints this table.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int VmFailed = 1;
    public const int BadInput = 2;

    public static string Describe(string summary) =>
        $"""
        {summary}

        Exit status:
          0  the guest reset or powered off, or the VM was stopped
          1  the VM failed (emulation failure, triple fault, failed entry, KVM error)
          2  bad input (options, kernel, initrd, sizes)
        """;
}
