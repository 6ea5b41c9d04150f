using System.Text;
using Glue.Devices.Block.Qcow2;

namespace Glue.Fuzz.Targets;

/// <summary>
/// A hostile qcow2 file through <see cref="Qcow2Header.Read"/>, the parser every other part of the image code
/// trusts (QEMU docs/interop/qcow2.txt, "Header" and "Header extensions"): the input is the whole file. A refusal
/// is a <see cref="DiskImageError"/> of one line; a header it accepts must have every size and offset bounded as
/// the table walks rely on, else that is a finding.
/// </summary>
internal static class Qcow2HeaderTarget
{
    private static readonly ScratchFile Image = new("qcow2-header");

    public static void Run(byte[] data)
    {
        string path = Image.Write(data);
        HostFile file;
        try
        {
            file = ImageFile.Open(path, readOnly: true, path);
        }
        catch (DiskImageError e)
        {
            throw new FuzzInvariantException($"the scratch image cannot be opened: {e.Message}");
        }
        using (file)
        {
            Qcow2Header header;
            try
            {
                header = Qcow2Header.Read(file, path);
            }
            catch (DiskImageError e)
            {
                if (e.Message.Contains('\n')) throw new FuzzInvariantException($"a refusal of more than one line: {e.Message}");
                return;
            }
            CheckBounds(header, data.Length);
        }
    }

    private static void CheckBounds(Qcow2Header header, long fileBytes)
    {
        long cluster = header.ClusterSize;
        long l2Coverage = cluster << (header.ClusterBits - 3);
        Require(header.ClusterBits is >= Qcow2Header.MinClusterBits and <= Qcow2Header.MaxClusterBits, $"cluster bits {header.ClusterBits}");
        Require(header.RefcountOrder is >= 0 and <= 6, $"refcount_order {header.RefcountOrder}");
        Require(header.L1Size >= 0 && (long)header.L1Size * 8 <= Qcow2Header.MaxL1Bytes, $"L1 size {header.L1Size}");
        Require(header.Size >= 0 && header.Size <= header.L1Size * l2Coverage, $"size {header.Size} beyond what {header.L1Size} L1 entries map");
        Require(header.L1Size == 0 || (header.L1TableOffset % cluster == 0 && header.L1TableOffset > 0 && header.L1TableOffset + header.L1Size * 8L <= fileBytes),
            $"L1 table at {header.L1TableOffset} ({header.L1Size} entries) in a {fileBytes}-byte file");
        Require(header.RefcountTableClusters > 0 && header.RefcountTableClusters * cluster <= Qcow2Header.MaxRefcountTableBytes
            && header.RefcountTableOffset % cluster == 0 && header.RefcountTableOffset > 0
            && header.RefcountTableOffset + header.RefcountTableClusters * cluster <= fileBytes,
            $"refcount table at {header.RefcountTableOffset} ({header.RefcountTableClusters} clusters) in a {fileBytes}-byte file");
        if (header.BackingFile is { } backing)
            Require(backing.Length > 0 && Encoding.UTF8.GetByteCount(backing) <= Qcow2Header.MaxBackingNameBytes && !backing.Contains('\0'),
                $"a backing name of {Encoding.UTF8.GetByteCount(backing)} bytes");
    }

    private static void Require(bool holds, string what)
    {
        if (!holds) throw new FuzzInvariantException($"Qcow2Header.Read accepted {what}");
    }
}
