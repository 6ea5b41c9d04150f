using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Glue.Core.Snapshot;
using Xunit;

namespace Glue.Tests.Core.Snapshot;

public class StateFileReaderTests
{
    private static Dictionary<string, (JsonNode? Tree, ReadOnlyMemory<byte> Bytes)> Read(string json) =>
        StateFileReader.TopLevel(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Each_part_keeps_its_exact_bytes_and_its_tree()
    {
        var parts = Read("{\"header\": {\"a\": 1}, \"vm\": [1, \"two\", true, null, {\"x\": 18446744073709551615}]}");

        Assert.Equal("{\"a\": 1}", Encoding.UTF8.GetString(parts["header"].Bytes.Span));
        Assert.Equal("[1, \"two\", true, null, {\"x\": 18446744073709551615}]", Encoding.UTF8.GetString(parts["vm"].Bytes.Span));
        var vm = Assert.IsType<JsonArray>(parts["vm"].Tree);
        Assert.Equal(ulong.MaxValue, vm[4].U64("x"));
    }

    [Fact]
    public void Whole_numbers_narrow_only_when_they_fit()
    {
        var tree = Read("{\"p\": {\"small\": 255, \"big\": 256, \"negative\": -1, \"fraction\": 1.5, \"huge\": 1e400}}")["p"].Tree;

        Assert.Equal((byte)255, tree.U8("small"));
        Assert.Throws<SnapshotException>(() => tree.U8("big"));
        Assert.Throws<SnapshotException>(() => tree.U64("negative"));
        Assert.Throws<SnapshotException>(() => tree.U32("fraction"));
        Assert.Throws<SnapshotException>(() => tree.U64("huge"));
    }

    [Theory]
    [InlineData("{\"header\": {\"a\": 1}")]
    [InlineData("{\"header\": {\"a\": 1}} trailing")]
    [InlineData("{\"header\": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}")]
    [InlineData("{\"header\": \"\\ud800\"}")]
    [InlineData("")]
    public void Malformed_json_is_a_json_error(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Read(json));
    }

    [Fact]
    public void A_root_that_is_no_object_is_not_a_snapshot()
    {
        Assert.Throws<SnapshotException>(() => Read("[1, 2]"));
    }
}
