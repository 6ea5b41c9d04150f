using Glue.Core.Devices;
using Glue.Virtio;

[assembly: GlueDevice(typeof(Glue.Devices.Block.BlockFeature))]

namespace Glue.Devices.Block;

/// <summary>`--disk PATH[,ro][,id=STRING][,format=raw|qcow2][,cache=writeback|none][,queues=N]`, repeatable: one virtio block device per image.</summary>
public sealed class BlockFeature : IVirtioDeviceFeature
{
    public const string Option = "--disk";

    public string Name => "blk";

    public IReadOnlyList<DeviceOption> Options =>
        [new(Option, $"A disk image as a virtio block device: {DiskSpec.Syntax} (ro: read-only; id: what GET_ID returns, up to 20 characters; format: probed when not given; cache=none: O_DIRECT, past the host's page cache; queues: request queues, one per vCPU by default)", Repeatable: true, Alias: "-d")];

    public IReadOnlyList<IVirtioDevice> Create(DeviceOptionValues values)
    {
        var disks = new List<IVirtioDevice>();
        try
        {
            foreach (var value in values.All(Option))
            {
                var spec = DiskSpec.Parse(value, disks.Count, values.Cpus);
                var (image, blockSize) = DiskImageOpener.Open(spec);
                try
                {
                    disks.Add(new BlockDevice(image, spec.Id, blockSize, spec.Queues));
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
            }
            return disks;
        }
        catch
        {
            foreach (var disk in disks) ((IDisposable)disk).Dispose();
            throw;
        }
    }
}
