using System.Runtime.InteropServices;
using Glue.Core.Devices;
using Glue.Devices.Net;
using Xunit;

namespace Glue.Tests.Devices.Net;

/// <summary>
/// A real TAP, made in a network namespace of the test's own: the work runs on a thread that has unshared its
/// network namespace, so the interface never appears on the host and disappears with the thread. Skipped, with
/// the reason, where that is not allowed (not root, no /dev/net/tun).
/// </summary>
public partial class TapTests
{
    private const int CLONE_NEWNET = 0x40000000;

    [TapFact]
    public void Open_creates_a_tap_with_vnet_headers()
    {
        InPrivateNetworkNamespace(() =>
        {
            using (var tap = Tap.Open("gtest0", VirtioNet.HeaderSize))
            {
                Assert.Equal("gtest0", tap.Name);
                Assert.Equal(0x0002 | 0x1000 | 0x4000, tap.Flags & (0x0002 | 0x1000 | 0x4000));
                Assert.Equal(12, tap.VnetHeaderSize);
                Assert.NotEqual(0u, IfNameToIndex("gtest0"));
            }
            Assert.Equal(0u, IfNameToIndex("gtest0"));   // not persistent: gone with the fd
        });
    }

    [TapTheory]
    [InlineData("a-name-too-long-x", "at most 15")]
    [InlineData("bad/name", "TUNSETIFF failed")]
    [InlineData("", "empty")]
    public void Names_the_kernel_refuses_are_one_line_config_errors(string name, string reason)
    {
        InPrivateNetworkNamespace(() =>
        {
            var error = Assert.Throws<DeviceConfigException>(() => Tap.Open(name, VirtioNet.HeaderSize));
            Assert.Contains(reason, error.Message);
            Assert.DoesNotContain('\n', error.Message);
        });
    }

    private static void InPrivateNetworkNamespace(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (Unshare(CLONE_NEWNET) != 0) throw new InvalidOperationException($"unshare(CLONE_NEWNET) failed: errno {Marshal.GetLastPInvokeError()}");
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
    }

    [LibraryImport("libc", EntryPoint = "unshare", SetLastError = true)]
    private static partial int Unshare(int flags);

    [LibraryImport("libc", EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint IfNameToIndex(string name);
}
