namespace Glue.Devices.Fs.Host;

/// <summary>
/// How many host fds one share may hold (its nodes' O_PATH fds and the guest's open files together): a guest that
/// looks up or opens without end gets EMFILE past it, and glue keeps the fds it needs for itself.
/// </summary>
internal sealed class FdBudget(int limit)
{
    private int _held;

    public int Limit { get; } = limit;

    public int Held => Volatile.Read(ref _held);

    /// <summary>Counts one more fd; false, counting nothing, when the share already holds <see cref="Limit"/>.</summary>
    public bool TryTake()
    {
        while (true)
        {
            int held = Volatile.Read(ref _held);
            if (held >= Limit) return false;
            if (Interlocked.CompareExchange(ref _held, held + 1, held) == held) return true;
        }
    }

    public void Return() => Interlocked.Decrement(ref _held);
}
