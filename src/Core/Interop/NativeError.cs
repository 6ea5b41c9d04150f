using System.Runtime.InteropServices;

namespace Glue.Core.Interop;

/// <summary>A failed system call, with the errno captured at once and named.</summary>
public sealed class NativeError(string operation, int errno)
    : Exception($"{operation} failed: {Libc.ErrorText(errno)}")
{
    public int Errno { get; } = errno;

    /// <summary>Throws for the errno of the P/Invoke that just returned -1.</summary>
    public static NativeError FromLastError(string operation) => new(operation, Marshal.GetLastPInvokeError());
}
