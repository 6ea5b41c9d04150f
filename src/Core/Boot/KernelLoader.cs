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
/// Puts a kernel, its initrd and command line into guest memory and says where the boot vCPU starts, at the places
/// <see cref="BootImage"/> chose when it read and checked them. A bzImage and a Linux vmlinux are entered at their
/// 64-bit entry point with a Linux zero page (Documentation/arch/x86/boot.rst, "64-bit boot protocol"); another ELF
/// with a PVH note starts through PVH. <see cref="BootProtocol"/> overrides the choice for an ELF.
/// </summary>
public static class KernelLoader
{
    // boot.rst: the 64-bit entry point is 0x200 past the start of the loaded protected-mode kernel.
    private const ulong BzImage64BitEntryOffset = 0x200;

    /// <summary>Reads, checks and loads in one step, for RAM that already exists (tests, the fuzzer).</summary>
    public static BootEntry Load(GuestMemory memory, BootRequest request, BootPlatform? platform = null) =>
        Load(memory, BootImage.Read(request, memory.Regions.Select(r => (r.Start, r.Size)).ToList()), platform);

    public static BootEntry Load(GuestMemory memory, BootImage image, BootPlatform? platform = null)
    {
        if (memory.Size != image.RamBytes)
            throw new ArgumentException($"the boot image was placed in {image.RamBytes >> 20} MiB of RAM, not {memory.Size >> 20} MiB", nameof(memory));
        platform ??= BootPlatform.None;
        string commandLine = platform.CommandLine(image.Request, image.Linux);
        image.CheckCommandLine(commandLine);
        if (image.BzImage is { } header) return LoadBzImage(memory, image, header, commandLine, platform);

        var elf = image.Elf!;
        LoadSegments(memory, elf, image.Kernel);
        WriteCommandLine(memory, commandLine);
        LoadedInitrd? initrd = LoadInitrd(memory, image);
        if (image.Pvh)
        {
            PvhStartInfo.Write(memory, platform.MemoryMapFor(memory), MemoryLayout.CommandLine, initrd, platform.Rsdp?.Value ?? 0);
            BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Protected32));
            return new BootEntry(EntryMode.Protected32, new GuestAddress(elf.PvhEntry!.Value), MemoryLayout.PvhStartInfo, elf.IsLinux);
        }
        ZeroPage.Write(memory, platform.MemoryMapFor(memory), [], MemoryLayout.CommandLine, initrd, platform.Rsdp);
        return EnterLongMode(memory, new GuestAddress(elf.Entry), elf.IsLinux);
    }

    /// <summary>Loads a bzImage's protected-mode kernel at its preferred address; its setup code is not run.</summary>
    private static BootEntry LoadBzImage(GuestMemory memory, BootImage image, SetupHeader header, string commandLine, BootPlatform platform)
    {
        memory.Write(image.BzImageLoad, image.Kernel.AsSpan(header.ProtectedModeOffset));
        WriteCommandLine(memory, commandLine);
        LoadedInitrd? initrd = LoadInitrd(memory, image);
        ZeroPage.Write(
            memory, platform.MemoryMapFor(memory), image.Kernel.AsSpan(SetupHeader.SetupSectsOffset, header.HeaderEnd - SetupHeader.SetupSectsOffset), MemoryLayout.CommandLine, initrd, platform.Rsdp);
        return EnterLongMode(memory, image.BzImageLoad.Offset(BzImage64BitEntryOffset), linux: true);
    }

    private static BootEntry EnterLongMode(GuestMemory memory, GuestAddress entry, bool linux)
    {
        BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Long64));
        IdentityPageTables.Write(memory);
        return new BootEntry(EntryMode.Long64, entry, MemoryLayout.ZeroPage, linux);
    }

    /// <summary>Copies every PT_LOAD segment to its physical address and zero-fills the rest of its memory size.</summary>
    private static void LoadSegments(GuestMemory memory, ElfKernel elf, byte[] image)
    {
        foreach (var segment in elf.Segments)
        {
            var target = memory.GetSpan(new GuestAddress(segment.Address), (int)segment.MemorySize);
            image.AsSpan((int)segment.Offset, (int)segment.FileSize).CopyTo(target);
            target[(int)segment.FileSize..].Clear();
        }
    }

    /// <summary>Writes the NUL-terminated command line, which <see cref="BootImage.CheckCommandLine"/> found short enough.</summary>
    private static void WriteCommandLine(GuestMemory memory, string commandLine) =>
        memory.Write(MemoryLayout.CommandLine, System.Text.Encoding.ASCII.GetBytes(commandLine + "\0"));

    private static LoadedInitrd? LoadInitrd(GuestMemory memory, BootImage image)
    {
        if (image.InitrdPlace is not { } place) return null;
        memory.Write(place.Address, image.Initrd!);
        return place;
    }
}
