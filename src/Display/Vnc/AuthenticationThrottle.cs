namespace Glue.Display.Vnc;

/// <summary>
/// The delay that grows with each wrong VNC password from one client address (all Unix-socket clients are one
/// address). After the n-th failure in a row the address may not try again for <see cref="Delay"/>(n): Base, then
/// doubling up to <see cref="MaxDelay"/>; a try in that time is refused without being checked. A check in progress
/// holds the address too, so parallel connections cannot guess side by side. A right password clears the count,
/// and so do ten quiet minutes.
/// </summary>
internal sealed class AuthenticationThrottle(TimeSpan baseDelay)
{
    public static readonly TimeSpan DefaultBase = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Forgotten = TimeSpan.FromMinutes(10);

    /// <summary>Addresses remembered at most; past that (a spray from many addresses) the rest share one record.</summary>
    private const int MaxAddresses = 1024;
    private const string Others = "other addresses";

    private readonly Dictionary<string, AddressRecord> _records = [];

    private sealed class AddressRecord
    {
        public int Failures;
        public long BlockedUntil, LastFailure;
    }

    /// <summary>How long the address must wait after <paramref name="failures"/> failures in a row.</summary>
    public TimeSpan Delay(int failures) =>
        failures <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, baseDelay.Ticks << Math.Min(failures - 1, 16)));

    /// <summary>
    /// True when <paramref name="address"/> may have a password checked now; it is then held until
    /// <see cref="Record(string, bool)"/>. False while it waits out its delay.
    /// </summary>
    public bool TryBegin(string address)
    {
        long now = Environment.TickCount64;
        lock (_records)
        {
            var record = Find(address, now);
            if (now < record.BlockedUntil) return false;
            // Held as long as a failure now would hold it.
            record.BlockedUntil = now + (long)Delay(record.Failures + 1).TotalMilliseconds;
            return true;
        }
    }

    /// <summary>The outcome of the check <see cref="TryBegin"/> allowed; the failures in a row so far.</summary>
    public int Record(string address, bool accepted)
    {
        long now = Environment.TickCount64;
        lock (_records)
        {
            var record = Find(address, now);
            if (accepted)
            {
                record.Failures = 0;
                record.BlockedUntil = 0;
                return 0;
            }
            record.Failures++;
            record.LastFailure = now;
            record.BlockedUntil = now + (long)Delay(record.Failures).TotalMilliseconds;
            return record.Failures;
        }
    }

    private AddressRecord Find(string address, long now)
    {
        if (_records.TryGetValue(address, out var record))
        {
            if (record.Failures > 0 && now - record.LastFailure > Forgotten.TotalMilliseconds && now >= record.BlockedUntil) record.Failures = 0;
            return record;
        }
        if (_records.Count >= MaxAddresses)
        {
            foreach (var (key, old) in _records)
                if (now >= old.BlockedUntil && (old.Failures == 0 || now - old.LastFailure > Forgotten.TotalMilliseconds)) _records.Remove(key);
            if (_records.Count >= MaxAddresses) address = Others;
            if (_records.TryGetValue(address, out record)) return record;
        }
        return _records[address] = new AddressRecord();
    }
}
