using System.Diagnostics;
using Glue.Display.Vnc;
using Glue.TestSupport;
using Xunit;

namespace Glue.Tests.Display;

/// <summary>
/// Wrong VNC passwords: each failure from an address makes it wait longer before its next password is checked
/// (a try in the wait is refused unchecked), each is logged, and a right password clears the count.
/// </summary>
public class VncPasswordDelayTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(300);

    [Fact]
    public void Each_wrong_password_doubles_the_wait_before_the_next_is_checked()
    {
        var log = new List<string>();
        using var server = new VncTestServer(password: "s3cret", timeouts: VncTimeouts.Default with { FailureDelay = Base }, log: Log(log));

        Assert.Equal("authentication failed", Try(server, "guess1"));
        var after1 = Stopwatch.StartNew();
        Assert.Equal("too many authentication failures: wait and try again", Try(server, "guess2"));
        Wait(after1, Base);
        Assert.Equal("authentication failed", Try(server, "guess2"));
        var after2 = Stopwatch.StartNew();
        Wait(after2, Base * 1.5);
        Assert.Equal("too many authentication failures: wait and try again", Try(server, "s3cret")); // even the right one waits
        Wait(after2, Base * 2);
        Assert.Equal("authentication failed", Try(server, "guess3"));
        Wait(Stopwatch.StartNew(), Base * 4);
        Assert.Null(Try(server, "s3cret"));
        Assert.Null(Try(server, "s3cret")); // the right password cleared the count: no wait now

        lock (log)
        {
            Assert.Equal(3, log.Count);
            Assert.Equal("vnc: wrong password from 127.0.0.1 (1 in a row; the next try is refused for 0.3 s)", log[0]);
            Assert.StartsWith("vnc: wrong password from 127.0.0.1 (3 in a row; the next try is refused for 1.2 s)", log[2]);
        }
    }

    [Fact]
    public void Parallel_guesses_from_one_address_are_checked_one_at_a_time()
    {
        var log = new List<string>();
        using var server = new VncTestServer(password: "s3cret", timeouts: VncTimeouts.Default with { FailureDelay = TimeSpan.FromSeconds(5) }, log: Log(log));

        var outcomes = Enumerable.Range(0, 8).AsParallel().WithDegreeOfParallelism(8).Select(i => Try(server, $"guess{i}")).ToList();

        Assert.Equal(1, outcomes.Count(o => o == "authentication failed"));
        Assert.Equal(7, outcomes.Count(o => o == "too many authentication failures: wait and try again"));
        lock (log) Assert.Single(log);
    }

    [Fact]
    public void The_delay_grows_to_its_cap()
    {
        var throttle = new AuthenticationThrottle(AuthenticationThrottle.DefaultBase);
        Assert.Equal(TimeSpan.Zero, throttle.Delay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(500), throttle.Delay(1));
        Assert.Equal(TimeSpan.FromSeconds(4), throttle.Delay(4));
        Assert.Equal(AuthenticationThrottle.MaxDelay, throttle.Delay(7));
        Assert.Equal(AuthenticationThrottle.MaxDelay, throttle.Delay(1000));
    }

    private static string? Try(VncTestServer server, string password)
    {
        using var client = RfbTestClient.Connect(server.EndPoint);
        return client.Handshake("003.008", password);
    }

    private static Action<string> Log(List<string> log) => line =>
    {
        lock (log) log.Add(line);
    };

    private static void Wait(Stopwatch since, TimeSpan delay)
    {
        var left = delay + TimeSpan.FromMilliseconds(30) - since.Elapsed;
        if (left > TimeSpan.Zero) Thread.Sleep(left);
    }
}
