using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Glue.Core.Interop;
using Glue.Core.Memory;
using static Glue.Transports.VhostUser.VhostUserProtocol;

namespace Glue.Transports.VhostUser;

/// <summary>
/// The frontend's memory table (SET_MEM_TABLE): each region of its guest RAM mapped here from the fd it sent, as
/// <see cref="GuestMemory"/> for the queues (descriptors hold guest-physical addresses), and the frontend's own
/// user addresses of the same regions, because vring addresses arrive as those.
/// </summary>
public sealed class VhostUserMemory : IDisposable
{
    private readonly MemoryRegionMessage[] _regions;

    private VhostUserMemory(GuestMemory memory, MemoryRegionMessage[] regions)
    {
        Memory = memory;
        _regions = regions;
    }

    public GuestMemory Memory { get; }

    public IReadOnlyList<MemoryRegionMessage> Regions => _regions;

    /// <summary>The option of `glue device` that lets a frontend hand over memory it could still shrink.</summary>
    public const string AllowUnsealedOption = "--allow-unsealed-memory";

    /// <summary>
    /// SET_MEM_TABLE: a u32 count, u32 padding, then one struct vhost_user_memory_region per region, each with its
    /// fd. Every fd must be sealed against shrinking (F_SEAL_SHRINK) unless <paramref name="allowUnsealed"/>: a
    /// frontend that truncates a mapped file makes our next access to it a SIGBUS, which no managed code survives.
    /// QEMU's memory-backend-memfd seals by default (seal=on); a file in /dev/shm or hugetlbfs cannot be sealed.
    /// The message's fds are taken and closed (the mappings keep the files).
    /// </summary>
    public static VhostUserMemory FromMessage(VhostUserMessage message, bool allowUnsealed)
    {
        var payload = message.Payload;
        if (payload.Length < 8) throw new VhostUserException($"SET_MEM_TABLE has {payload.Length} bytes, less than its 8-byte header");
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(payload);
        int regionSize = Marshal.SizeOf<MemoryRegionMessage>();
        if (count is 0 or > MaxMemoryRegions) throw new VhostUserException($"SET_MEM_TABLE has {count} regions (1 to {MaxMemoryRegions})");
        if (payload.Length != 8 + count * regionSize) throw new VhostUserException($"SET_MEM_TABLE of {count} regions has {payload.Length} bytes, not {8 + count * regionSize}");
        if (message.Fds.Length != count) throw new VhostUserException($"SET_MEM_TABLE of {count} regions came with {message.Fds.Length} fds");

        var regions = MemoryMarshal.Cast<byte, MemoryRegionMessage>(payload.AsSpan(8)).ToArray();
        var fds = new SafeFd[count];
        for (int i = 0; i < count; i++) fds[i] = message.TakeFd(i)!;
        try
        {
            for (int i = 0; i < count && !allowUnsealed; i++)
            {
                int seals = SocketLibc.Seals(fds[i].Fd);
                if (seals < 0 || (seals & SocketLibc.F_SEAL_SHRINK) == 0)
                    throw new VhostUserException(
                        $"memory region {i}: its file is not sealed against shrinking (F_SEAL_SHRINK), so the frontend could truncate it " +
                        $"under glue; give QEMU memory-backend-memfd (sealed by default), or start glue device with {AllowUnsealedOption} " +
                        "to trust this frontend (a /dev/shm or hugetlbfs file cannot be sealed)");
            }
            return Map(regions, fds);
        }
        finally
        {
            foreach (var fd in fds) fd.Dispose();
        }
    }

    /// <summary>
    /// Maps every region from its fd; a region that is empty, wraps around, overlaps another, or lies outside
    /// its file throws <see cref="VhostUserException"/> and nothing stays mapped.
    /// </summary>
    public static VhostUserMemory Map(IReadOnlyList<MemoryRegionMessage> regions, IReadOnlyList<SafeFd> fds)
    {
        var mapped = new List<GuestRegion>();
        try
        {
            for (int i = 0; i < regions.Count; i++)
            {
                var region = regions[i];
                if (region.Size == 0 || region.UserAddress > ulong.MaxValue - region.Size || region.GuestAddress > ulong.MaxValue - region.Size)
                    throw new VhostUserException($"memory region {i} (guest 0x{region.GuestAddress:x}, 0x{region.Size:x} bytes, user 0x{region.UserAddress:x}) is not a valid range");
                for (int j = 0; j < i; j++)
                {
                    if (Overlap(regions[j].UserAddress, regions[j].Size, region.UserAddress, region.Size))
                        throw new VhostUserException($"memory regions {j} and {i} overlap in user addresses");
                }
                try
                {
                    mapped.Add(new GuestRegion(new GuestAddress(region.GuestAddress), region.Size, fds[i], region.MmapOffset));
                }
                catch (Exception e) when (e is GuestMemoryException or NativeError)
                {
                    throw new VhostUserException($"memory region {i}: {e.Message}");
                }
            }
            GuestMemory memory;
            try
            {
                memory = new GuestMemory(mapped);
            }
            catch (ArgumentException)
            {
                throw new VhostUserException("memory regions overlap in guest addresses");
            }
            return new VhostUserMemory(memory, [.. regions]);
        }
        catch
        {
            foreach (var region in mapped) region.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The guest-physical address of the frontend's user address <paramref name="user"/>, when
    /// [user, user + length) lies wholly in one region; else false.
    /// </summary>
    public bool TryTranslate(ulong user, ulong length, out GuestAddress guest)
    {
        foreach (var region in _regions)
        {
            if (user >= region.UserAddress && length <= region.Size && user - region.UserAddress <= region.Size - length)
            {
                guest = new GuestAddress(region.GuestAddress + (user - region.UserAddress));
                return true;
            }
        }
        guest = default;
        return false;
    }

    private static bool Overlap(ulong a, ulong aSize, ulong b, ulong bSize) => a < b + bSize && b < a + aSize;

    public void Dispose() => Memory.Dispose();
}

/// <summary>A request the backend refuses: answered with a failure (REPLY_ACK) or a disconnect.</summary>
public sealed class VhostUserException(string message) : Exception(message);
