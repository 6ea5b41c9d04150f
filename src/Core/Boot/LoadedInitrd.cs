using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>Where the initial ramdisk was placed in guest memory.</summary>
public readonly record struct LoadedInitrd(GuestAddress Address, ulong Size);
