using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>What to boot: a kernel file, an optional initrd file and the kernel command line.</summary>
public sealed record BootRequest(string KernelPath, string? InitrdPath, string CommandLine);

/// <summary>
/// Puts a kernel, its initrd and command line into guest memory and says where the boot vCPU starts.
/// A bzImage and an ELF without a PVH note are entered at their 64-bit entry point with a Linux zero page
/// (Documentation/arch/x86/boot.rst, "64-bit boot protocol"); an ELF with a PVH note starts through PVH.
/// </summary>
public static class KernelLoader
{
    private const ulong PageSize = 0x1000;

    // boot.rst: the 64-bit entry point is 0x200 past the start of the loaded protected-mode kernel.
    private const ulong BzImage64BitEntryOffset = 0x200;

    public static BootEntry Load(GuestMemory memory, BootRequest request)
    {
        byte[] image = ReadFile(request.KernelPath, "kernel");
        if (SetupHeader.IsBzImage(image)) return LoadBzImage(memory, image, request);
        if (!ElfKernel.HasElfMagic(image))
        {
            throw new BootException($"{request.KernelPath} is not a kernel Glue can boot: neither a bzImage nor an ELF");
        }
        var elf = ElfKernel.Parse(image);
        GuestAddress kernelEnd = LoadSegments(memory, elf, image);
        WriteCommandLine(memory, request.CommandLine, MemoryLayout.CommandLineMax - 1, "the limit");
        LoadedInitrd? initrd = LoadInitrd(memory, request.InitrdPath, kernelEnd, LowMemoryTop(memory));

        if (elf.PvhEntry is ulong pvh)
        {
            PvhStartInfo.Write(memory, MemoryLayout.CommandLine, initrd);
            BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Protected32));
            return new BootEntry(EntryMode.Protected32, new GuestAddress(pvh), MemoryLayout.PvhStartInfo);
        }
        ZeroPage.Write(memory, [], MemoryLayout.CommandLine, initrd);
        return EnterLongMode(memory, new GuestAddress(elf.Entry));
    }

    /// <summary>Loads a bzImage's protected-mode kernel at its preferred address; its setup code is not run.</summary>
    private static BootEntry LoadBzImage(GuestMemory memory, byte[] image, BootRequest request)
    {
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

        WriteCommandLine(memory, request.CommandLine, header.CmdlineSize, "this kernel's cmdline_size");
        ulong ceiling = Math.Min(LowMemoryTop(memory), (ulong)header.InitrdAddrMax + 1);
        LoadedInitrd? initrd = LoadInitrd(memory, request.InitrdPath, load.Offset(needed), ceiling);
        ZeroPage.Write(memory, image.AsSpan(SetupHeader.SetupSectsOffset, header.HeaderEnd - SetupHeader.SetupSectsOffset), MemoryLayout.CommandLine, initrd);
        return EnterLongMode(memory, load.Offset(BzImage64BitEntryOffset));
    }

    private static BootEntry EnterLongMode(GuestMemory memory, GuestAddress entry)
    {
        BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Long64));
        IdentityPageTables.Write(memory);
        return new BootEntry(EntryMode.Long64, entry, MemoryLayout.ZeroPage);
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
        byte[] initrd = ReadFile(path, "initrd");
        ulong bottom = floor.AlignUp(PageSize).Value;
        if ((ulong)initrd.Length > ceiling || ((ceiling - (ulong)initrd.Length) & ~(PageSize - 1)) < bottom)
        {
            throw new BootException($"initrd {path} ({initrd.Length >> 10} KiB) does not fit in guest memory above the kernel");
        }
        var address = new GuestAddress((ceiling - (ulong)initrd.Length) & ~(PageSize - 1));
        memory.Write(address, initrd);
        return new LoadedInitrd(address, (ulong)initrd.Length);
    }

    private static byte[] ReadFile(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BootException($"cannot read {what} {path}: {e.Message}");
        }
    }
}
