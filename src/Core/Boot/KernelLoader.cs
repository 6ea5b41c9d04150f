using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>What to boot: a kernel file, an optional initrd file and the kernel command line.</summary>
public sealed record BootRequest(string KernelPath, string? InitrdPath, string CommandLine);

/// <summary>
/// Puts a kernel, its initrd and command line into guest memory and says where the boot vCPU starts.
/// An ELF kernel with a PVH note starts through PVH; any other ELF64 kernel is entered in long mode.
/// </summary>
public static class KernelLoader
{
    private const ulong PageSize = 0x1000;

    public static BootEntry Load(GuestMemory memory, BootRequest request)
    {
        byte[] image = ReadFile(request.KernelPath, "kernel");
        if (!ElfKernel.HasElfMagic(image)) throw new BootException($"{request.KernelPath} is not a kernel Glue can boot: no ELF header");
        var elf = ElfKernel.Parse(image);
        GuestAddress kernelEnd = LoadSegments(memory, elf, image);

        WriteCommandLine(memory, request.CommandLine);
        LoadedInitrd? initrd = request.InitrdPath is null ? null : LoadInitrd(memory, request.InitrdPath, kernelEnd);

        if (elf.PvhEntry is ulong pvh)
        {
            PvhStartInfo.Write(memory, MemoryLayout.CommandLine, initrd);
            BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Protected32));
            return new BootEntry(EntryMode.Protected32, new GuestAddress(pvh), MemoryLayout.PvhStartInfo);
        }
        BootGdt.Write(memory, BootGdt.Descriptors(EntryMode.Long64));
        IdentityPageTables.Write(memory);
        return new BootEntry(EntryMode.Long64, new GuestAddress(elf.Entry), MemoryLayout.ZeroPage);
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

    private static void WriteCommandLine(GuestMemory memory, string commandLine)
    {
        byte[] bytes = System.Text.Encoding.ASCII.GetBytes(commandLine + "\0");
        if (bytes.Length > MemoryLayout.CommandLineMax)
        {
            throw new BootException($"command line is {bytes.Length - 1} bytes, the limit is {MemoryLayout.CommandLineMax - 1}");
        }
        memory.Write(MemoryLayout.CommandLine, bytes);
    }

    /// <summary>Places the initrd as high as it goes in RAM below 4 GiB, page aligned, above the kernel.</summary>
    private static LoadedInitrd LoadInitrd(GuestMemory memory, string path, GuestAddress kernelEnd)
    {
        byte[] initrd = ReadFile(path, "initrd");
        var low = memory.Regions[0];
        ulong top = low.End.Value & ~(PageSize - 1);
        ulong floor = kernelEnd.AlignUp(PageSize).Value;
        if ((ulong)initrd.Length > top || top - (ulong)initrd.Length < floor)
        {
            throw new BootException($"initrd {path} ({initrd.Length >> 10} KiB) does not fit in guest memory above the kernel");
        }
        var address = new GuestAddress((top - (ulong)initrd.Length) & ~(PageSize - 1));
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
