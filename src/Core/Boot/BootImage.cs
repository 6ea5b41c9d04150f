using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>
/// A kernel and its initrd, read and checked before any VM exists: each file is what it must be
/// (<see cref="KernelFile"/>), the kernel is a bzImage or an ELF that Glue can enter with the protocol asked for, it
/// and the initrd fit in the guest's RAM (their places are chosen here), and the user's command line fits the
/// kernel's limit. So `glue run` refuses a kernel, initrd or command line it cannot boot before it opens /dev/kvm;
/// <see cref="KernelLoader"/> then writes the image into the VM's memory at those places.
/// </summary>
public sealed record BootImage
{
    private const ulong PageSize = 0x1000;

    private BootImage(BootRequest request, ulong ramBytes, byte[] kernel)
    {
        Request = request;
        RamBytes = ramBytes;
        Kernel = kernel;
    }

    public BootRequest Request { get; }

    /// <summary>The size of the RAM the image was placed in; <see cref="KernelLoader"/> writes it into RAM of this size only.</summary>
    public ulong RamBytes { get; }

    /// <summary>The kernel file's bytes.</summary>
    public byte[] Kernel { get; }

    /// <summary>A bzImage's setup header; null for an ELF kernel.</summary>
    public SetupHeader? BzImage { get; private init; }

    /// <summary>Where a bzImage's protected-mode kernel goes.</summary>
    public GuestAddress BzImageLoad { get; private init; }

    /// <summary>An ELF kernel's headers; null for a bzImage.</summary>
    public ElfKernel? Elf { get; private init; }

    /// <summary>Entered through PVH (32-bit, hvm_start_info) rather than the Linux 64-bit boot protocol.</summary>
    public bool Pvh { get; private init; }

    /// <summary>A Linux kernel (a bzImage, or an ELF with Linux notes): it gets the Linux command-line defaults.</summary>
    public bool Linux { get; private init; }

    /// <summary>The initrd file's bytes, when there is one.</summary>
    public byte[]? Initrd { get; private init; }

    /// <summary>Where the initrd goes, when there is one.</summary>
    public LoadedInitrd? InitrdPlace { get; private init; }

    /// <summary>The longest command line this kernel takes, without its NUL.</summary>
    public uint CommandLineLimit { get; private init; }

    /// <summary>What <see cref="CommandLineLimit"/> is, for the message.</summary>
    private string CommandLineLimitName { get; init; } = "";

    /// <summary>The end of the kernel in guest memory: the initrd goes above it.</summary>
    private GuestAddress KernelEnd { get; init; }

    /// <summary>Reads and checks the request's files for a guest whose RAM is <paramref name="ram"/>; throws <see cref="BootException"/> naming what is wrong.</summary>
    public static BootImage Read(BootRequest request, IReadOnlyList<(GuestAddress Start, ulong Size)> ram)
    {
        ulong ramBytes = ram.Aggregate(0UL, (sum, range) => sum + range.Size);
        byte[] kernel = KernelFile.Read(request.KernelPath, "kernel", "-k", ramBytes);
        var image = SetupHeader.IsBzImage(kernel) ? ReadBzImage(request, ram, ramBytes, kernel) : ReadElf(request, ram, ramBytes, kernel);
        // The user's part alone: the whole line, with what the devices add, is checked again as it is written.
        image.CheckCommandLine(request.CommandLine);
        if (request.InitrdPath is not { } initrdPath) return image;
        byte[] initrd = KernelFile.Read(initrdPath, "initrd", "-i", ramBytes);
        ulong ceiling = image.BzImage is { } header ? Math.Min(LowMemoryTop(ram), (ulong)header.InitrdAddrMax + 1) : LowMemoryTop(ram);
        return image with { Initrd = initrd, InitrdPlace = PlaceInitrd(initrdPath, (ulong)initrd.Length, image.KernelEnd, ceiling) };
    }

    /// <summary>Throws <see cref="BootException"/> when <paramref name="commandLine"/> is longer than this kernel takes.</summary>
    public void CheckCommandLine(string commandLine)
    {
        // Written as ASCII: one byte per character.
        if ((uint)commandLine.Length > CommandLineLimit)
            throw new BootException($"command line is {commandLine.Length} bytes, {CommandLineLimitName} is {CommandLineLimit}: give a shorter -p");
    }

    /// <summary>A bzImage with a 64-bit entry point, loaded at its preferred address (its setup code is not run).</summary>
    private static BootImage ReadBzImage(BootRequest request, IReadOnlyList<(GuestAddress Start, ulong Size)> ram, ulong ramBytes, byte[] kernel)
    {
        if (request.Protocol == BootProtocol.Pvh)
            throw new BootException($"{request.KernelPath} is a bzImage, which has no PVH entry point: boot its vmlinux, or use --boot linux64");
        var header = SetupHeader.Parse(kernel);
        if ((header.XLoadFlags & SetupHeader.XLF_KERNEL_64) == 0)
            throw new BootException($"{request.KernelPath} has no 64-bit entry point (XLF_KERNEL_64 is not set)");
        var load = new GuestAddress(header.PrefAddress != 0 ? header.PrefAddress : header.Code32Start);
        // init_size is what the kernel needs from its load address while it decompresses and sets up.
        ulong needed = Math.Max((ulong)(kernel.Length - header.ProtectedModeOffset), header.InitSize);
        if (!InRam(ram, load, needed))
            throw new BootException($"kernel does not fit in guest memory: it needs {load}+0x{needed:x}, RAM is {ramBytes >> 20} MiB");
        return new BootImage(request, ramBytes, kernel)
        {
            BzImage = header,
            BzImageLoad = load,
            KernelEnd = load.Offset(needed),
            Linux = true,
            CommandLineLimit = Math.Min(header.CmdlineSize, MemoryLayout.CommandLineMax - 1U),
            CommandLineLimitName = "this kernel's cmdline_size",
        };
    }

    /// <summary>An x86-64 ELF kernel that Glue can tell how to enter, each loadable segment in RAM at its physical address.</summary>
    private static BootImage ReadElf(BootRequest request, IReadOnlyList<(GuestAddress Start, ulong Size)> ram, ulong ramBytes, byte[] kernel)
    {
        if (!ElfKernel.HasElfMagic(kernel))
            throw new BootException($"{request.KernelPath} is not a kernel Glue can boot: neither a bzImage nor an ELF");
        var elf = ElfKernel.Parse(kernel, request.KernelPath);
        if (elf.PvhEntry is null && !elf.IsLinux && request.Protocol == BootProtocol.Auto)
        {
            throw new BootException(
                $"{request.KernelPath} is an ELF with neither a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) nor Linux notes, so Glue cannot tell how to enter it: " +
                "boot a PVH kernel, a Linux vmlinux or bzImage, or say --boot linux64 for a kernel that takes the Linux 64-bit boot protocol");
        }
        bool pvh = EnterThroughPvh(request, elf);
        var kernelEnd = new GuestAddress(0);
        foreach (var segment in elf.Segments)
        {
            var start = new GuestAddress(segment.Address);
            if (!InRam(ram, start, segment.MemorySize))
                throw new BootException($"kernel does not fit in guest memory: a segment needs {start}+0x{segment.MemorySize:x}, RAM is {ramBytes >> 20} MiB");
            var end = start.Offset(segment.MemorySize);
            if (end > kernelEnd) kernelEnd = end;
        }
        return new BootImage(request, ramBytes, kernel)
        {
            Elf = elf,
            Pvh = pvh,
            Linux = elf.IsLinux,
            KernelEnd = kernelEnd,
            CommandLineLimit = MemoryLayout.CommandLineMax - 1U,
            CommandLineLimitName = "the limit",
        };
    }

    /// <summary>PVH when asked for (the ELF must have the note), or by default for an ELF with the note that is not Linux.</summary>
    private static bool EnterThroughPvh(BootRequest request, ElfKernel elf) => request.Protocol switch
    {
        BootProtocol.Pvh => elf.PvhEntry is not null
            ? true
            : throw new BootException($"{request.KernelPath} has no PVH entry point (no Xen PHYS32_ENTRY note): boot it with --boot linux64"),
        BootProtocol.Linux64 => false,
        _ => elf.PvhEntry is not null && !elf.IsLinux,
    };

    /// <summary>The initrd goes as high as it fits below <paramref name="ceiling"/>, page aligned, above the kernel's end.</summary>
    private static LoadedInitrd PlaceInitrd(string path, ulong length, GuestAddress kernelEnd, ulong ceiling)
    {
        ulong bottom = kernelEnd.AlignUp(PageSize).Value;
        if (length > ceiling || ((ceiling - length) & ~(PageSize - 1)) < bottom)
            throw new BootException($"initrd {path} ({length >> 10} KiB) does not fit in guest memory above the kernel");
        return new LoadedInitrd(new GuestAddress((ceiling - length) & ~(PageSize - 1)), length);
    }

    /// <summary>The end of RAM below 4 GiB, page aligned: where initrds are placed from.</summary>
    private static ulong LowMemoryTop(IReadOnlyList<(GuestAddress Start, ulong Size)> ram) => ram[0].Start.Offset(ram[0].Size).Value & ~(PageSize - 1);

    /// <summary>True when [start, start+length) lies in one RAM range, and is small enough to be written as one span.</summary>
    private static bool InRam(IReadOnlyList<(GuestAddress Start, ulong Size)> ram, GuestAddress start, ulong length) =>
        length <= int.MaxValue && ram.Any(range => start >= range.Start && start.Value - range.Start.Value <= range.Size && length <= range.Size - (start.Value - range.Start.Value));
}
