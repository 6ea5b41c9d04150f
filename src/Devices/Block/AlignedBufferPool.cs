using System.Runtime.InteropServices;

namespace Glue.Devices.Block;

/// <summary>
/// Bounce buffers for O_DIRECT: equal, aligned native buffers handed out and taken back by concurrent requests.
/// A buffer is made the first time every other one is in use, so the pool grows to the number of requests that
/// needed one at once and then allocates nothing more.
/// </summary>
internal sealed unsafe class AlignedBufferPool(int bufferBytes, uint alignment) : IDisposable
{
    private readonly Stack<nint> _free = new();
    private readonly List<nint> _all = [];

    public int BufferBytes { get; } = bufferBytes;

    public byte* Rent()
    {
        lock (_free)
        {
            if (_free.TryPop(out nint buffer)) return (byte*)buffer;
            buffer = (nint)NativeMemory.AlignedAlloc((nuint)BufferBytes, alignment);
            _all.Add(buffer);
            return (byte*)buffer;
        }
    }

    public void Return(byte* buffer)
    {
        lock (_free) _free.Push((nint)buffer);
    }

    /// <summary>Frees every buffer; none may be in use.</summary>
    public void Dispose()
    {
        lock (_free)
        {
            foreach (nint buffer in _all) NativeMemory.AlignedFree((void*)buffer);
            _all.Clear();
            _free.Clear();
        }
    }
}
