namespace Glue.Devices.Gpu;

/// <summary>The GPU device's constants (virtio 1.2 §5.7), named as in Linux's include/uapi/linux/virtio_gpu.h.</summary>
public static class VirtioGpu
{
    // §5.7.3 feature bits.
    public const int VIRTIO_GPU_F_VIRGL = 0;
    public const int VIRTIO_GPU_F_EDID = 1;

    // §5.7.6.7 enum virtio_gpu_ctrl_type: 2D commands.
    public const uint VIRTIO_GPU_CMD_GET_DISPLAY_INFO = 0x0100;
    public const uint VIRTIO_GPU_CMD_RESOURCE_CREATE_2D = 0x0101;
    public const uint VIRTIO_GPU_CMD_RESOURCE_UNREF = 0x0102;
    public const uint VIRTIO_GPU_CMD_SET_SCANOUT = 0x0103;
    public const uint VIRTIO_GPU_CMD_RESOURCE_FLUSH = 0x0104;
    public const uint VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D = 0x0105;
    public const uint VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING = 0x0106;
    public const uint VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING = 0x0107;
    public const uint VIRTIO_GPU_CMD_GET_CAPSET_INFO = 0x0108;
    public const uint VIRTIO_GPU_CMD_GET_CAPSET = 0x0109;
    public const uint VIRTIO_GPU_CMD_GET_EDID = 0x010a;

    // Cursor commands (the cursor queue).
    public const uint VIRTIO_GPU_CMD_UPDATE_CURSOR = 0x0300;
    public const uint VIRTIO_GPU_CMD_MOVE_CURSOR = 0x0301;

    // Success responses.
    public const uint VIRTIO_GPU_RESP_OK_NODATA = 0x1100;
    public const uint VIRTIO_GPU_RESP_OK_DISPLAY_INFO = 0x1101;
    public const uint VIRTIO_GPU_RESP_OK_EDID = 0x1104;

    // Error responses.
    public const uint VIRTIO_GPU_RESP_ERR_UNSPEC = 0x1200;
    public const uint VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY = 0x1201;
    public const uint VIRTIO_GPU_RESP_ERR_INVALID_SCANOUT_ID = 0x1202;
    public const uint VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID = 0x1203;
    public const uint VIRTIO_GPU_RESP_ERR_INVALID_CONTEXT_ID = 0x1204;
    public const uint VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER = 0x1205;

    // §5.7.6.7 struct virtio_gpu_ctrl_hdr flags.
    public const uint VIRTIO_GPU_FLAG_FENCE = 1 << 0;

    // §5.7.4 struct virtio_gpu_config: events_read bits.
    public const uint VIRTIO_GPU_EVENT_DISPLAY = 1 << 0;

    public const int VIRTIO_GPU_MAX_SCANOUTS = 16;

    // §5.7.6.8 enum virtio_gpu_formats: the name gives the byte order in memory (B8G8R8X8: bytes B, G, R, X).
    public const uint VIRTIO_GPU_FORMAT_B8G8R8A8_UNORM = 1;
    public const uint VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM = 2;
    public const uint VIRTIO_GPU_FORMAT_A8R8G8B8_UNORM = 3;
    public const uint VIRTIO_GPU_FORMAT_X8R8G8B8_UNORM = 4;
    public const uint VIRTIO_GPU_FORMAT_R8G8B8A8_UNORM = 67;
    public const uint VIRTIO_GPU_FORMAT_X8B8G8R8_UNORM = 68;
    public const uint VIRTIO_GPU_FORMAT_A8B8G8R8_UNORM = 121;
    public const uint VIRTIO_GPU_FORMAT_R8G8B8X8_UNORM = 134;

    // struct virtio_gpu_config offsets (§5.7.4).
    public const int ConfigEventsRead = 0;
    public const int ConfigEventsClear = 4;
    public const int ConfigNumScanouts = 8;
    public const int ConfigNumCapsets = 12;
    public const int ConfigSize = 16;

    public const int EdidBytes = 1024;   // struct virtio_gpu_resp_edid's edid[]
    public const int ControlQueue = 0;
    public const int CursorQueue = 1;
}
