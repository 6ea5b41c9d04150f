using Glue.Core.Devices;
using Glue.Devices.Net;
using Xunit;

namespace Glue.Tests.Devices.Net;

public class MacAddressTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56", "52:54:00:12:34:56")]
    [InlineData("02-AB-cd-EF-00-01", "02:ab:cd:ef:00:01")]
    public void Parses_six_hex_bytes(string text, string expected)
    {
        Assert.True(MacAddress.TryParse(text, out var mac));
        Assert.Equal(expected, mac.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:56:78")]
    [InlineData("52:54-00:12:34:56")]
    [InlineData("5g:54:00:12:34:56")]
    [InlineData("52.54.00.12.34.56")]
    [InlineData("+2:54:00:12:34:56")]
    public void Refuses_anything_else(string text) => Assert.False(MacAddress.TryParse(text, out _));

    [Fact]
    public void Bytes_are_in_wire_order()
    {
        var mac = MacAddress.FromBytes([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
        var bytes = new byte[6];
        mac.CopyTo(bytes);
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, bytes);
        Assert.False(mac.IsMulticast);
        Assert.True(mac.IsLocallyAdministered);
    }

    [Fact]
    public void Generated_addresses_are_unicast_locally_administered_and_differ()
    {
        var seen = new HashSet<MacAddress>();
        for (int i = 0; i < 200; i++)
        {
            var mac = MacAddress.Generate();
            Assert.False(mac.IsMulticast);
            Assert.True(mac.IsLocallyAdministered);
            seen.Add(mac);
        }
        Assert.True(seen.Count > 190);
    }
}

public class NetOptionsTests
{
    [Fact]
    public void Tap_alone() => Assert.Equal(new NetOptions("gtap0", null), NetOptions.Parse("tap=gtap0"));

    [Fact]
    public void Tap_and_mac_in_either_order()
    {
        Assert.True(MacAddress.TryParse("52:54:00:00:00:07", out var mac));
        Assert.Equal(new NetOptions("gtap0", mac), NetOptions.Parse("tap=gtap0,mac=52:54:00:00:00:07"));
        Assert.Equal(new NetOptions("gtap0", mac), NetOptions.Parse("mac=52:54:00:00:00:07,tap=gtap0"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("gtap0")]
    [InlineData("tap=")]
    [InlineData("mac=52:54:00:00:00:07")]
    [InlineData("tap=a,tap=b")]
    [InlineData("tap=a,mac=52:54:00:00:00")]
    [InlineData("tap=a,mac=01:00:5e:00:00:01")]
    [InlineData("tap=a,mac=00:00:00:00:00:00")]
    [InlineData("tap=a,speed=10")]
    public void Bad_values_are_one_line_config_errors(string value)
    {
        var error = Assert.Throws<DeviceConfigException>(() => NetOptions.Parse(value));
        Assert.StartsWith("--net: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
