using Glue.Core.Memory;

namespace Glue.Core.Boot;

/// <summary>
/// Page tables that identity-map the first 4 GiB with 2 MiB pages: what a kernel entered directly in long
/// mode runs on until it builds its own. PML4, one PDPT and four page directories, from <see cref="MemoryLayout.PageTables"/>.
/// </summary>
public static class IdentityPageTables
{
    private const ulong Present = 1, Writable = 2, PageSize = 0x80;
    private const ulong PageBytes = 0x1000;
    private const int Directories = 4;

    public static GuestAddress Pml4 => MemoryLayout.PageTables;

    public static void Write(GuestMemory memory)
    {
        var pml4 = MemoryLayout.PageTables;
        var pdpt = pml4.Offset(PageBytes);
        var firstDirectory = pdpt.Offset(PageBytes);
        memory.Write(pml4, pdpt.Value | Present | Writable);
        for (int d = 0; d < Directories; d++)
        {
            var directory = firstDirectory.Offset((ulong)d * PageBytes);
            memory.Write(pdpt.Offset((ulong)d * 8), directory.Value | Present | Writable);
            for (int e = 0; e < 512; e++)
            {
                ulong address = ((ulong)d << 30) | ((ulong)e << 21);
                memory.Write(directory.Offset((ulong)e * 8), address | Present | Writable | PageSize);
            }
        }
    }
}
