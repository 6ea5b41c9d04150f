using System.Globalization;
using Glue.Core.Interop;

namespace Glue.Core.Sandbox;

/// <summary>`--user UID:GID`: the user and group Glue drops to once it has opened what needs privileges.</summary>
public readonly record struct UserIds(uint Uid, uint Gid)
{
    /// <summary>Numbers only: a name would need the passwd database, which a confined process may not see.</summary>
    public static bool TryParse(string text, out UserIds ids)
    {
        ids = default;
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0) return false;
        if (!uint.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)) return false;
        if (!uint.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)) return false;
        // (uid_t)-1 means "unchanged" to setresuid.
        if (uid == uint.MaxValue || gid == uint.MaxValue) return false;
        ids = new UserIds(uid, gid);
        return true;
    }

    /// <summary>
    /// Drops every thread to these ids: supplementary groups cleared, then the group, then the user (after which
    /// no more can change), with no_new_privs so no later exec could gain privileges back. Throws <see cref="NativeError"/>.
    /// </summary>
    public unsafe void Drop()
    {
        if (SeccompLibc.Prctl(SeccompLibc.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) throw NativeError.FromLastError("prctl PR_SET_NO_NEW_PRIVS");
        if (SeccompLibc.SetGroups(0, null) != 0) throw NativeError.FromLastError("setgroups");
        if (SeccompLibc.SetResGid(Gid, Gid, Gid) != 0) throw NativeError.FromLastError($"setresgid {Gid}");
        if (SeccompLibc.SetResUid(Uid, Uid, Uid) != 0) throw NativeError.FromLastError($"setresuid {Uid}");
    }

    public override string ToString() => $"{Uid}:{Gid}";
}
