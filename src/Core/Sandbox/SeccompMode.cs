namespace Glue.Core.Sandbox;

/// <summary>`--seccomp=off|log|kill`: what a forbidden system call does.</summary>
public enum SeccompMode
{
    /// <summary>The default: the SIGSYS report, then the process ends.</summary>
    Kill,
    /// <summary>The call goes ahead and the kernel logs it (SECCOMP_RET_LOG): for finding a call a filter lacks.</summary>
    Log,
    /// <summary>No filters.</summary>
    Off,
}
