using Glue.Core.Devices;
using Glue.Devices.Gpu;
using Glue.Devices.Input;
using Glue.Devices.VirtioConsole;
using Glue.Devices.Vsock;
using Xunit;

namespace Glue.Tests.Devices;

/// <summary>
/// A feature that sets up the machine checks its options with no machine and without opening anything, so that
/// `glue run` refuses them before it opens /dev/kvm; what Check accepts, Setup accepts too.
/// </summary>
public sealed class MachineSetupCheckTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("glue-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static DeviceOptionValues Values(string option, params string[] values) => new(new Dictionary<string, string[]> { [option] = values });

    [Theory]
    [InlineData("--console", "bogus", "expected serial or virtio")]
    [InlineData("--console", "", "expected serial or virtio")]
    [InlineData("--input", "mouse", "--input takes no value")]
    [InlineData("--vnc", ":1", "add --gpu")]
    [InlineData("--gpu", "width=3", "--gpu")]
    [InlineData("--vsock", "cid=2,uds=/tmp/v", "cid 2 is reserved")]
    public void A_bad_value_is_refused_without_a_machine(string option, string value, string message)
    {
        IMachineSetup feature = option switch
        {
            "--console" => new VirtioConsoleFeature(),
            "--input" => new InputFeature(),
            "--vsock" => new VsockFeature(),
            _ => new GpuFeature(),
        };
        Assert.Contains(message, Assert.Throws<DeviceConfigException>(() => feature.Check(Values(option, value))).Message);
    }

    [Fact]
    public void A_missing_vnc_password_file_is_refused_before_anything_is_bound()
    {
        var values = new DeviceOptionValues(new Dictionary<string, string[]>
        {
            ["--gpu"] = [""],
            ["--vnc"] = [$"unix:{Path.Combine(_directory, "vnc")},password-file={Path.Combine(_directory, "missing")}"],
        });
        Assert.Contains("no such file", Assert.Throws<DeviceConfigException>(() => new GpuFeature().Check(values)).Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Fact]
    public void Values_that_set_up_a_machine_pass()
    {
        new VirtioConsoleFeature().Check(Values("--console", "virtio"));
        new VirtioConsoleFeature().Check(DeviceOptionValues.None);
        new InputFeature().Check(Values("--input", "keyboard"));
        new GpuFeature().Check(new DeviceOptionValues(new Dictionary<string, string[]> { ["--gpu"] = ["width=320,height=200"], ["--vnc"] = ["unix:/tmp/x.vnc"] }));
        new VsockFeature().Check(Values("--vsock", $"cid=981240,uds={Path.Combine(_directory, "v")}"));
    }

    [Fact]
    public void A_vsock_path_in_use_or_in_a_missing_directory_is_refused_and_no_cid_is_taken()
    {
        string file = Path.Combine(_directory, "file");
        File.WriteAllText(file, "not a socket\n");
        var feature = new VsockFeature();
        Assert.Contains("already exists", Assert.Throws<DeviceConfigException>(() => feature.Check(Values("--vsock", $"cid=981241,uds={file}"))).Message);
        Assert.Contains("does not exist",
            Assert.Throws<DeviceConfigException>(() => feature.Check(Values("--vsock", $"cid=981242,uds={Path.Combine(_directory, "missing", "v")}"))).Message);
        Assert.Contains("given twice", Assert.Throws<DeviceConfigException>(() =>
            feature.Check(Values("--vsock", $"cid=981243,uds={Path.Combine(_directory, "a")}", $"cid=981243,uds={Path.Combine(_directory, "b")}"))).Message);
        Assert.False(File.Exists("/run/lock/glue-vsock-cid-981241.lock"));
        Assert.Equal(["file"], Directory.EnumerateFileSystemEntries(_directory).Select(Path.GetFileName));
    }
}
