using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>
/// What to boot: a kernel file, an optional initrd file, the user's kernel command line, the entry protocol,
/// and whether a Linux kernel gets <see cref="KernelCommandLine.LinuxDefaults"/> before the user's line.
/// </summary>
public sealed record BootRequest(
    string KernelPath, string? InitrdPath, string CommandLine, BootProtocol Protocol = BootProtocol.Auto, bool LinuxDefaults = false);

/// <summary>
/// What the machine tells the kernel besides the request: command-line parameters from its devices (for every
/// kernel), from the host (for Linux kernels only, e.g. a workaround for PVM), the devices' Linux defaults (given
/// after Core's own, when the request asks for defaults), the ACPI RSDP, and ranges the memory map reserves
/// beyond RAM's own (the PCI ECAM).
/// </summary>
public sealed record BootPlatform(
    IReadOnlyList<string> KernelParameters,
    IReadOnlyList<string> LinuxParameters,
    GuestAddress? Rsdp,
    IReadOnlyList<string>? LinuxDefaults = null,
    IReadOnlyList<MemoryMapEntry>? Reserved = null)
{
    public static readonly BootPlatform None = new([], [], null);

    public string CommandLine(BootRequest request, bool linux) =>
        KernelCommandLine.Compose(
            request.LinuxDefaults && linux ? [KernelCommandLine.LinuxDefaults, .. LinuxDefaults ?? []] : [],
            linux ? [.. LinuxParameters, .. KernelParameters] : KernelParameters,
            request.CommandLine);

    /// <summary>The memory map the guest is handed: RAM as <see cref="MemoryMap"/> makes it, plus <see cref="Reserved"/>.</summary>
    public IReadOnlyList<MemoryMapEntry> MemoryMapFor(GuestMemory memory) => MemoryMap.For(memory, Reserved ?? []);
}

/// <summary>
/// Puts a kernel, its initrd and command line into guest memory and says where the boot vCPU starts.
/// A bzImage and a Linux vmlinux are entered at their 64-bit entry point with a Linux zero page
/// (Documentation/arch/x86/boot.rst, "64-bit boot protocol"); another ELF with a PVH note starts through PVH.
/// <see cref="BootProtocol"/> overrides the choice for an ELF.
/// </summary>
public static class KernelLoader
{
    private const ulong PageSize = 0x1000;

    // boot.rst: the 64-bit entry point is 0x200 past the start of the loaded protected-mode kernel.
    private const ulong BzImage64BitEntryOffset = 0x200;

    public static BootEntry Load(GuestMemory memory, BootRequest request, BootPlatform? platform = null)
    {
        platform ??= BootPlatform.None;
        byte[] image = KernelFile.Read(request.KernelPath, "kernel", "-k", memory.Size);
        if (SetupHeader.IsBzImage(image)) return LoadBzImage(memory, image, request, platform);
        if (!ElfKernel.HasElfMagic(image))
        {
            throw new BootException($"{request.KernelPath} is not a kernel Glue can boot: neither a bzImage nor an ELF");
        }
        var elf = ElfKernel.Parse(image, request.KernelPath);
        if (elf.PvhEntry is null && !elf.IsLinux && request.Protocol == BootProtocol.Auto)
        {
            throw new BootException(
                $"{request.KernelPath} is an ELF with neither a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) nor Linux notes, so Glue cannot tell how to enter it: " +
                "boot a PVH kernel, a Linux vmlinux or bzImage, or say --boot linux64 for a kernel that takes the Linux 64-bit boot protocol");
        }
        bool pvh = request.Protocol switch
        {
            BootProtocol.Pvh => elf.PvhEntry is not null
                ? true
                : throw new BootException($"{request.KernelPath} has no PVH entry point (no Xen PHYS32_ENTRY note): boot it with --boot linux64"),
            BootProtocol.Linux64 => false,
            _ => elf.PvhEntry is not null && !elf.IsLinux,
        };
        GuestAddress kernelEnd = LoadSegments(memory, elf, image);
        string commandLine = platform.CommandLine(request, elf.IsLinux);
        WriteCommandLine(memory, commandLine, MemoryLayout.CommandLineMax - 1, "the limit");
        LoadedInitrd? initrd = LoadInitrd(memory, request.InitrdPath, kernelEnd, LowMemoryTop(memory));

        if (pvh)
        {
            PvhStartInfo.Write(memory, platform.MemoryMapFor(memory), MemoryLayout.CommandLine, initrd, platform.Rsdp?.Value ?? 0);
            BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Protected32));
            return new BootEntry(EntryMode.Protected32, new GuestAddress(elf.PvhEntry!.Value), MemoryLayout.PvhStartInfo, elf.IsLinux);
        }
        ZeroPage.Write(memory, platform.MemoryMapFor(memory), [], MemoryLayout.CommandLine, initrd, platform.Rsdp);
        return EnterLongMode(memory, new GuestAddress(elf.Entry), elf.IsLinux);
    }

    /// <summary>Loads a bzImage's protected-mode kernel at its preferred address; its setup code is not run.</summary>
    private static BootEntry LoadBzImage(GuestMemory memory, byte[] image, BootRequest request, BootPlatform platform)
    {
        if (request.Protocol == BootProtocol.Pvh)
        {
            throw new BootException($"{request.KernelPath} is a bzImage, which has no PVH entry point: boot its vmlinux, or use --boot linux64");
        }
        var header = SetupHeader.Parse(image);
        if ((header.XLoadFlags & SetupHeader.XLF_KERNEL_64) == 0)
        {
            throw new BootException($"{request.KernelPath} has no 64-bit entry point (XLF_KERNEL_64 is not set)");
        }
        var load = new GuestAddress(header.PrefAddress != 0 ? header.PrefAddress : header.Code32Start);
        var kernel = image.AsSpan(header.ProtectedModeOffset);
        // init_size is what the kernel needs from its load address while it decompresses and sets up.
        ulong needed = Math.Max((ulong)kernel.Length, header.InitSize);
        if (needed > int.MaxValue || !memory.TryGetSpan(load, (int)needed, out var target))
        {
            throw new BootException($"kernel does not fit in guest memory: it needs {load}+0x{needed:x}, RAM is {memory.Size >> 20} MiB");
        }
        kernel.CopyTo(target);

        string commandLine = platform.CommandLine(request, linux: true);
        WriteCommandLine(memory, commandLine, header.CmdlineSize, "this kernel's cmdline_size");
        ulong ceiling = Math.Min(LowMemoryTop(memory), (ulong)header.InitrdAddrMax + 1);
        LoadedInitrd? initrd = LoadInitrd(memory, request.InitrdPath, load.Offset(needed), ceiling);
        ZeroPage.Write(
            memory, platform.MemoryMapFor(memory), image.AsSpan(SetupHeader.SetupSectsOffset, header.HeaderEnd - SetupHeader.SetupSectsOffset), MemoryLayout.CommandLine, initrd, platform.Rsdp);
        return EnterLongMode(memory, load.Offset(BzImage64BitEntryOffset), linux: true);
    }

    private static BootEntry EnterLongMode(GuestMemory memory, GuestAddress entry, bool linux)
    {
        BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Long64));
        IdentityPageTables.Write(memory);
        return new BootEntry(EntryMode.Long64, entry, MemoryLayout.ZeroPage, linux);
    }

    /// <summary>Copies every PT_LOAD segment to its physical address; returns the end of the highest one.</summary>
    private static GuestAddress LoadSegments(GuestMemory memory, ElfKernel elf, byte[] image)
    {
        var end = new GuestAddress(0);
        foreach (var segment in elf.Segments)
        {
            var start = new GuestAddress(segment.Address);
            if (segment.MemorySize > int.MaxValue || !memory.TryGetSpan(start, (int)segment.MemorySize, out var target))
            {
                throw new BootException(
                    $"kernel does not fit in guest memory: a segment needs {start}+0x{segment.MemorySize:x}, RAM is {memory.Size >> 20} MiB");
            }
            image.AsSpan((int)segment.Offset, (int)segment.FileSize).CopyTo(target);
            target[(int)segment.FileSize..].Clear();
            var segmentEnd = start.Offset(segment.MemorySize);
            if (segmentEnd > end) end = segmentEnd;
        }
        return end;
    }

    /// <summary>Writes the NUL-terminated command line; <paramref name="maxLength"/> excludes the NUL, as cmdline_size does.</summary>
    private static void WriteCommandLine(GuestMemory memory, string commandLine, uint maxLength, string limitName)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(commandLine + "\0");
        uint length = (uint)bytes.Length - 1;
        if (length > Math.Min(maxLength, MemoryLayout.CommandLineMax - 1))
        {
            throw new BootException($"command line is {length} bytes, {limitName} is {Math.Min(maxLength, MemoryLayout.CommandLineMax - 1)}");
        }
        memory.Write(MemoryLayout.CommandLine, bytes);
    }

    /// <summary>The end of RAM below 4 GiB, page aligned: where initrds are placed from.</summary>
    private static ulong LowMemoryTop(GuestMemory memory) => memory.Regions[0].End.Value & ~(PageSize - 1);

    /// <summary>Places the initrd as high as it goes below <paramref name="ceiling"/>, page aligned, above <paramref name="floor"/>.</summary>
    private static LoadedInitrd? LoadInitrd(GuestMemory memory, string? path, GuestAddress floor, ulong ceiling)
    {
        if (path is null) return null;
        byte[] initrd = KernelFile.Read(path, "initrd", "-i", memory.Size);
        ulong bottom = floor.AlignUp(PageSize).Value;
        if ((ulong)initrd.Length > ceiling || ((ceiling - (ulong)initrd.Length) & ~(PageSize - 1)) < bottom)
        {
            throw new BootException($"initrd {path} ({initrd.Length >> 10} KiB) does not fit in guest memory above the kernel");
        }
        var address = new GuestAddress((ceiling - (ulong)initrd.Length) & ~(PageSize - 1));
        memory.Write(address, initrd);
        return new LoadedInitrd(address, (ulong)initrd.Length);
    }
}
