namespace Glue.Core.Boot;

/// <summary>The kernel, initrd or command line cannot be booted as given: the user's input is at fault.</summary>
public sealed class BootException(string message) : Exception(message);
