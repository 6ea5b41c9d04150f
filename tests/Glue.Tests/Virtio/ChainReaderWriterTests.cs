using Glue.Virtio.Split;
using Xunit;

namespace Glue.Tests.Virtio;

public sealed class ChainReaderWriterTests : VirtioTestBase
{
    private DescriptorChain Pop(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain(buffers);
        Assert.True(driver.CreateQueue().TryPop(out var chain));
        return chain;
    }

    [Fact]
    public void Read_copies_across_readable_buffers_as_one_run()
    {
        Fill(Buffers, [1, 2, 3]);
        Fill(Buffers + 0x100, [4, 5, 6, 7, 8]);
        var chain = Pop((Buffers, 3, false), (Buffers + 0x100, 5, false), (Buffers + 0x200, 4, true));

        var bytes = new byte[10];
        Assert.Equal(8, chain.Reader.Read(bytes));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0 }, bytes);
        Assert.Equal(0UL, chain.Reader.Remaining);
    }

    [Fact]
    public void TryRead_takes_a_struct_that_straddles_two_buffers()
    {
        Fill(Buffers, [0x11, 0x22, 0x33]);
        Fill(Buffers + 0x100, [0x44, 0x55, 0x66, 0x77, 0x88, 0x99]);
        var chain = Pop((Buffers, 3, false), (Buffers + 0x100, 6, false));

        Assert.True(chain.Reader.TryRead(out ulong value));
        Assert.Equal(0x8877665544332211UL, value);
        Assert.False(chain.Reader.TryRead(out uint _));     // one byte left: nothing is read
        Assert.Equal(1UL, chain.Reader.Remaining);
    }

    [Fact]
    public void Write_fills_writable_buffers_in_order_and_its_position_is_the_used_length()
    {
        var chain = Pop((Buffers, 4, false), (Buffers + 0x100, 2, true), (Buffers + 0x200, 0, true), (Buffers + 0x300, 8, true));

        Assert.Equal(5, chain.Writer.Write([1, 2, 3, 4, 5]));
        Assert.True(chain.Writer.TryWrite((byte)6));

        Assert.Equal(new byte[] { 1, 2 }, Bytes(Buffers + 0x100, 2));
        Assert.Equal(new byte[] { 3, 4, 5, 6, 0 }, Bytes(Buffers + 0x300, 5));
        Assert.Equal(0, Bytes(Buffers, 1)[0]);               // the readable buffer is untouched
        Assert.Equal(6UL, chain.Writer.Position);
        Assert.False(chain.Writer.TryWrite(0UL));            // 4 bytes left, 8 needed
        Assert.Equal(6UL, chain.Writer.Position);
    }

    [Fact]
    public void GetSpan_and_Advance_give_direct_access_one_buffer_at_a_time()
    {
        var chain = Pop((Buffers, 4, true), (Buffers + 0x100, 6, true));

        var first = chain.Writer.GetSpan();
        Assert.Equal(4, first.Length);
        first.Fill(0xaa);
        chain.Writer.Advance(4);
        var second = chain.Writer.GetSpan(maxLength: 3);
        Assert.Equal(3, second.Length);
        chain.Writer.Advance(6);
        Assert.True(chain.Writer.GetSpan().IsEmpty);

        Assert.Equal(new byte[] { 0xaa, 0xaa, 0xaa, 0xaa }, Bytes(Buffers, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => chain.Writer.Advance(1));
    }

    [Fact]
    public void A_popped_chain_starts_with_fresh_cursors()
    {
        var driver = new MockSplitQueue(Memory, 8);
        driver.AddChain((Buffers, 4, false));
        driver.AddChain((Buffers + 0x100, 2, false));
        var queue = driver.CreateQueue();
        Assert.True(queue.TryPop(out var chain));
        chain.Reader.Advance(4);

        Assert.True(queue.TryPop(out chain));
        Assert.Equal(0UL, chain.Reader.Position);
        Assert.Equal(2UL, chain.Reader.Length);
    }
}
