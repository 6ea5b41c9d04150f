using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// The bad-input table: one row per case a user can get wrong, each with glue's exact exit status, one
/// `glue: ` line naming the problem (no stack trace, no .NET type), and nothing left behind (runtime directory,
/// TMPDIR, CID locks, the runtime's diagnostics socket). Rows are grouped by what the build must have.
/// </summary>
public sealed class BadInputTableTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    private static (string, string?)[] Env(params (string, string?)[] pairs) => pairs;

    private static BadInputRow Row(string name, int exit, string message, params string[] arguments) => new(name, exit, message, arguments);

    private static BadInputRow Row(string name, int exit, string message, (string, string?)[] environment, params string[] arguments) =>
        new(name, exit, message, arguments, environment);

    public static TheoryData<BadInputRow> Core => new()
    {
        // The command line itself.
        Row("no command", 2, "a command is required"),
        Row("unknown command", 2, "frobnicate", "frobnicate"),
        Row("run without -k", 2, "--kernel", "run"),
        Row("unknown option", 2, "--no-such-option", "run", "-k", "{guest}", "--no-such-option"),
        Row("help of an unknown command", 2, "glue has no command 'frobnicate'; its commands are run, ", "help", "frobnicate"),
        Row("help of an unknown subcommand", 2, "glue run has no command 'frobnicate'", "help", "run", "frobnicate"),
        Row("completions for an unknown shell", 2, "completions powershell: no such shell; glue writes completions for bash, zsh or fish", "completions", "powershell"),
        Row("completions without a shell", 2, "argument 'bash|zsh|fish' missing", "completions"),
        // The first -V or -h ends the reading, as in clap: what comes before it must be right, what comes after is not read.
        Row("-V after an unknown command", 2, "'frobnicate'", "frobnicate", "-V"),
        Row("-V after an unknown option", 2, "'--no-such-option'", "run", "--no-such-option", "-V"),
        Row("-V after a bad value", 2, "--mem 'abc': expected a size", "run", "-m", "abc", "-V"),
        Row("--help after an unknown command", 2, "'frobnicate'", "frobnicate", "--help"),
        // The kernel: what it is, then what is in it.
        Row("-k empty path", 2, "the path is empty", "run", "-k", ""),
        Row("-k missing file", 2, "no such file", "run", "-k", "{missing}"),
        Row("-k a directory", 2, "is a directory", "run", "-k", "{dir}"),
        Row("-k a FIFO", 2, "is a FIFO", "run", "-k", "{fifo}"),
        Row("-k /dev/zero", 2, "is a character device", "run", "-k", "/dev/zero"),
        Row("-k /dev/null", 2, "is a character device", "run", "-k", "/dev/null"),
        Row("-k an empty file", 2, "the file is empty", "run", "-k", "{empty}"),
        Row("-k a text file", 2, "neither a bzImage nor an ELF", "run", "-k", "{text}"),
        Row("-k random bytes", 2, "neither a bzImage nor an ELF", "run", "-k", "{random}"),
        Row("-k a 20 GiB sparse file", 2, "20 GiB, more than the guest's 512 MiB", "run", "-k", "{sparse-20g}"),
        Row("-k /bin/ls", 2, "ET_DYN", "run", "-k", "/bin/ls"),
        Row("-k a PIE ELF with a PVH note", 2, "ET_DYN", "run", "-k", "{dyn.elf}"),
        Row("-k an ELF without PVH or Linux notes", 2, "neither a PVH entry note", "run", "-k", "{noteless.elf}"),
        Row("-k a noteless ELF with --boot pvh", 2, "no PVH entry point", "run", "-k", "{noteless.elf}", "--boot", "pvh"),
        Row("-k a 32-bit ELF", 2, "not a 64-bit little-endian ELF", "run", "-k", "{elf32.elf}"),
        Row("-k an ELF for another machine", 2, "not for x86-64", "run", "-k", "{arm.elf}"),
        Row("-k an ELF whose program headers are cut off", 2, "program headers", "run", "-k", "{phdrs.elf}"),
        Row("-k an ELF entered outside its segments", 2, "entry point", "run", "-k", "{pvh-outside.elf}"),
        Row("--boot efi", 2, "--boot 'efi': expected auto, linux64 or pvh", "run", "-k", "{guest}", "--boot", "efi"),
        Row("--boot empty", 2, "expected auto, linux64 or pvh", "run", "-k", "{guest}", "--boot", ""),
        // The sandbox (docs/security.md).
        Row("--seccomp=strict", 2, "--seccomp 'strict': expected off, log or kill", "run", "-k", "{guest}", "--seccomp=strict"),
        Row("--seccomp empty", 2, "expected off, log or kill", "run", "-k", "{guest}", "--seccomp", ""),
        Row("--user without a group", 2, "--user '1000': expected UID:GID", "run", "-k", "{guest}", "--user", "1000"),
        Row("--user by name", 2, "--user 'nobody:nogroup': expected UID:GID", "run", "-k", "{guest}", "--user", "nobody:nogroup"),
        Row("--user -1", 2, "expected UID:GID", "run", "-k", "{guest}", "--user", "-1:-1"),
        // The initrd.
        Row("-i empty path", 2, "the path is empty", "run", "-k", "{guest}", "-i", ""),
        Row("-i missing file", 2, "no such file", "run", "-k", "{guest}", "-i", "{missing}"),
        Row("-i a directory", 2, "is a directory", "run", "-k", "{guest}", "-i", "{dir}"),
        Row("-i a FIFO", 2, "is a FIFO", "run", "-k", "{guest}", "-i", "{fifo}"),
        Row("-i /dev/zero", 2, "is a character device", "run", "-k", "{guest}", "-i", "/dev/zero"),
        Row("-i a 20 GiB sparse file", 2, "more than the guest's", "run", "-k", "{guest}", "-i", "{sparse-20g}"),
        Row("-i an empty file", 2, "the file is empty", "run", "-k", "{guest}", "-i", "{empty}"),
        Row("-p longer than the command line limit", 2, "command line", "run", "-k", "{guest}", "-p", new string('a', 70000)),
        // Sizes.
        Row("-m abc", 2, "--mem 'abc': expected a size", "run", "-k", "{guest}", "-m", "abc"),
        Row("-m 0", 2, "--mem must be at least", "run", "-k", "{guest}", "-m", "0"),
        Row("-m 1.5G", 2, "expected a size", "run", "-k", "{guest}", "-m", "1.5G"),
        Row("-m 512X", 2, "expected a size", "run", "-k", "{guest}", "-m", "512X"),
        Row("-m 1000K", 2, "whole number of MiB", "run", "-k", "{guest}", "-m", "1000K"),
        Row("-m 100000000", 2, "more than this host has", "run", "-k", "{guest}", "-m", "100000000"),
        Row("-m 64T", 2, "more than this host has", "run", "-k", "{guest}", "-m", "64T"),
        Row("-m 2^64 MiB", 2, "too large", "run", "-k", "{guest}", "-m", "99999999999999999999"),
        Row("-c abc", 2, "--cpus 'abc': expected a number", "run", "-k", "{guest}", "-c", "abc"),
        Row("-c 0", 2, "--cpus must be at least 1", "run", "-k", "{guest}", "-c", "0"),
        Row("-c 100000", 2, "--cpus 100000 is more than", "run", "-k", "{guest}", "-c", "100000"),
        Row("-c 2^40", 2, "too many vCPUs", "run", "-k", "{guest}", "-c", "1099511627776"),
        // Names.
        Row("-n ..", 2, "not starting with '.'", "run", "-k", "{guest}", "-n", ".."),
        Row("-n .hidden", 2, "not starting with '.'", "run", "-k", "{guest}", "-n", ".hidden"),
        Row("-n with a slash", 2, "invalid VM name", "run", "-k", "{guest}", "-n", "a/b"),
        Row("-n empty", 2, "invalid VM name", "run", "-k", "{guest}", "-n", ""),
        Row("-n 65 characters", 2, "invalid VM name", "run", "-k", "{guest}", "-n", new string('v', 65)),
        Row("-n with a space", 2, "invalid VM name", "run", "-k", "{guest}", "-n", "a b"),
        // The runtime directory.
        Row("XDG_RUNTIME_DIR is a file", 2, "runtime directory", Env(("XDG_RUNTIME_DIR", "{text}")), "run", "-k", "{guest}"),
        Row("XDG_RUNTIME_DIR is relative", 2, "not an absolute path", Env(("XDG_RUNTIME_DIR", "relative/dir")), "run", "-k", "{guest}"),
        Row("no XDG_RUNTIME_DIR, HOME unusable", 2, "set XDG_RUNTIME_DIR", Env(("XDG_RUNTIME_DIR", null), ("HOME", "{text}/home")), "run", "-k", "{guest}"),
        Row("socket path too long for the runtime directory", 2, "shorter directory", Env(("XDG_RUNTIME_DIR", "{long}")), "run", "-k", "{guest}"),
        Row("list: XDG_RUNTIME_DIR is a file", 2, "runtime directory", Env(("XDG_RUNTIME_DIR", "{text}")), "list"),
        Row("list: the runtime directory is a file", 2, "it is a regular file, not a directory", Env(("XDG_RUNTIME_DIR", "{files}")), "list"),
        Row("stop --all: the runtime directory is a file", 2, "runtime directory", Env(("XDG_RUNTIME_DIR", "{text}")), "stop", "--all"),
        Row("list: no XDG_RUNTIME_DIR, HOME unusable", 2, "set XDG_RUNTIME_DIR", Env(("XDG_RUNTIME_DIR", null), ("HOME", "{text}/home")), "list"),
        // pause, resume, stop.
        Row("pause without a name", 2, "--name NAME or --all", "pause"),
        Row("pause with a name and --all", 2, "--name NAME or --all", "pause", "-n", "x", "--all"),
        Row("stop -n ..", 2, "not starting with '.'", "stop", "-n", ".."),
        Row("stop an unknown VM", 3, "no VM named 'nobody'", "stop", "-n", "nobody"),
        Row("resume an unknown VM", 3, "no VM named 'nobody'", "resume", "-n", "nobody"),
        Row("pause a regular file named like a socket", 3, "no VM named 'fake'", Env(("XDG_RUNTIME_DIR", "{root}/fakes")), "pause", "-n", "fake"),
        // snapshot and run --restore (the refusals of a snapshot's own files: SnapshotTests, with a real snapshot).
        Row("snapshot without a name", 2, "--name", "snapshot", "{root}/snap"),
        Row("snapshot DIR not empty", 2, "is not empty", "snapshot", "-n", "x", "{files}"),
        Row("snapshot DIR a file", 2, "is a file", "snapshot", "-n", "x", "{text}"),
        Row("snapshot DIR in a missing directory", 2, "its parent directory does not exist", "snapshot", "-n", "x", "{missing}/snap"),
        Row("snapshot an unknown VM", 3, "no VM named 'nobody'", "snapshot", "-n", "nobody", "{root}/snap"),
        Row("--restore a missing directory", 2, "--restore", "run", "--restore", "{missing}"),
        Row("--restore a directory without a snapshot", 2, "state.json: no such file", "run", "--restore", "{dir}"),
        Row("--restore a snapshot whose state.json is a FIFO", 2, "state.json: is a FIFO; it must be a regular file", "run", "--restore", "{snapshot-fifo}"),
        Row("--restore a snapshot whose state.json is 1 GiB", 2, "state.json is 1073741824 bytes, more than a snapshot's state file can be (16 MiB)", "run", "--restore", "{snapshot-huge}"),
        Row("--restore with -k", 2, "leave --kernel out", "run", "--restore", "{dir}", "-k", "{guest}"),
        Row("--paused without --restore", 2, "--paused goes with --restore", "run", "-k", "{guest}", "--paused"),
    };

    public static TheoryData<BadInputRow> Block => new()
    {
        Row("--disk empty path", 2, "no file path", "run", "-k", "{guest}", "--disk", ""),
        Row("--disk missing file", 2, "no such file", "run", "-k", "{guest}", "--disk", "{missing}"),
        Row("--disk a directory", 2, "is a directory", "run", "-k", "{guest}", "--disk", "{dir}"),
        Row("--disk a FIFO", 2, "is a FIFO", "run", "-k", "{guest}", "--disk", "{fifo}"),
        Row("-d a FIFO, read-only", 2, "is a FIFO", "run", "-k", "{guest}", "-d", "{fifo},ro"),
        Row("--disk /dev/zero", 2, "is a character device", "run", "-k", "{guest}", "--disk", "/dev/zero"),
        Row("--disk not a multiple of 512", 2, "not a multiple of 512", "run", "-k", "{guest}", "--disk", "{odd-disk}"),
        Row("--disk unknown attribute", 2, "unknown attribute 'fast'", "run", "-k", "{guest}", "--disk", "{disk},fast"),
        Row("--disk empty id", 2, "must be 1 to 20", "run", "-k", "{guest}", "--disk", "{disk},id="),
        Row("--disk id of 21 characters", 2, "must be 1 to 20", "run", "-k", "{guest}", "--disk", "{disk},id=" + new string('i', 21)),
        Row("--disk unknown format", 2, "format 'vmdk' is not raw or qcow2", "run", "-k", "{guest}", "--disk", "{disk},format=vmdk"),
        Row("--disk unknown cache mode", 2, "cache 'unsafe' is not writeback or none", "run", "-k", "{guest}", "--disk", "{disk},cache=unsafe"),
        Row("--disk qcow2 with cache=none", 2, "cache=none is for raw images", "run", "-k", "{guest}", "--disk", "{disk},format=qcow2,cache=none"),
        Row("--disk no queues", 2, "queues '0' must be a number from 1 to 64", "run", "-k", "{guest}", "--disk", "{disk},queues=0"),
        Row("the same disk twice", 2, "given twice", "run", "-k", "{guest}", "--disk", "{disk}", "-d", "{disk}"),
    };

    public static TheoryData<BadInputRow> Vsock => new()
    {
        Row("--vsock cid 2^32", 2, "cid 4294967296 is out of range", "run", "-k", "{guest}", "--vsock", "cid=4294967296,uds={root}/v"),
        Row("--vsock cid beyond 64 bits", 2, "out of range", "run", "-k", "{guest}", "--vsock", "cid=99999999999999999999999,uds={root}/v"),
        Row("--vsock cid 2 (the host)", 2, "cid 2 is reserved", "run", "-k", "{guest}", "--vsock", "cid=2,uds={root}/v"),
        Row("--vsock cid VMADDR_CID_ANY", 2, "cid 4294967295 is reserved", "run", "-k", "{guest}", "--vsock", "cid=4294967295,uds={root}/v"),
        Row("--vsock cid not a number", 2, "cid must be a number", "run", "-k", "{guest}", "--vsock", "cid=abc,uds={root}/v"),
        Row("--vsock without uds", 2, "expected cid=N,uds=PATH", "run", "-k", "{guest}", "--vsock", "cid=3"),
        Row("--vsock uds too long for a Unix socket", 2, "a Unix socket path must fit", "run", "-k", "{guest}", "--vsock", "cid=981231,uds={long}"),
        Row("--vsock uds in a missing directory", 2, "does not exist", "run", "-k", "{guest}", "--vsock", "cid=981232,uds={missing}/v"),
        Row("--vsock uds is a regular file", 2, "already exists", "run", "-k", "{guest}", "--vsock", "cid=981233,uds={text}"),
        Row("--vsock uds is a FIFO", 2, "already exists (and is not a socket a killed glue left): remove it", "run", "-k", "{guest}", "--vsock", "cid=981235,uds={fifo}"),
        Row("--vsock the same cid twice", 2, "given twice", "run", "-k", "{guest}", "--vsock", "cid=981234,uds={root}/a", "--vsock", "cid=981234,uds={root}/b"),
    };

    public static TheoryData<BadInputRow> Fs => new()
    {
        Row("--fs without a tag", 2, "no tag", "run", "-k", "{guest}", "--fs", "path={dir}"),
        Row("--fs without a path", 2, "no path", "run", "-k", "{guest}", "--fs", "tag=t"),
        Row("--fs tag of 37 bytes", 2, "must be 1 to 36 bytes", "run", "-k", "{guest}", "--fs", "tag=" + new string('t', 37) + ",path={dir}"),
        Row("--fs unknown attribute", 2, "unknown attribute 'rw'", "run", "-k", "{guest}", "--fs", "tag=t,path={dir},rw"),
        Row("--fs max-fds not a number", 2, "max-fds must be a number of 16 or more", "run", "-k", "{guest}", "--fs", "tag=t,path={dir},max-fds=lots"),
        Row("--fs max-fds below 16", 2, "max-fds must be a number of 16 or more", "run", "-k", "{guest}", "--fs", "tag=t,path={dir},max-fds=3"),
        Row("--fs cache mode unknown", 2, "cache must be never, metadata, auto or always, not 'none'", "run", "-k", "{guest}", "--fs", "tag=t,path={dir},cache=none"),
        Row("--fs missing directory", 2, "no such directory", "run", "-k", "{guest}", "--fs", "tag=t,path={missing}"),
        Row("--fs a regular file", 2, "is a regular file, not a directory", "run", "-k", "{guest}", "--fs", "tag=t,path={text}"),
        Row("--fs the same tag twice", 2, "tag 't' is given twice", "run", "-k", "{guest}", "--fs", "tag=t,path={dir}", "--fs", "tag=t,path={files}"),
    };

    public static TheoryData<BadInputRow> Other => new()
    {
        Row("--rng bogus", 2, "--rng", "run", "-k", "{guest}", "--rng", "bogus"),
        Row("--console bogus", 2, "expected serial or virtio", "run", "-k", "{guest}", "--console", "bogus"),
    };

    public static TheoryData<BadInputRow> Device => new()
    {
        Row("device without a device", 2, "glue device needs a device", "device"),
        Row("device of a kind no build has", 2, "no device 'sound' in this build", "device", "sound"),
        Row("-V after a device no build has", 2, "'sound'", "device", "sound", "-V"),
        Row("device blk without --disk", 2, "give --disk", "device", "blk", "--socket", "{root}/b.sock"),
        Row("device --seccomp=on", 2, "--seccomp 'on': expected off, log or kill", "device", "rng", "--socket", "{root}/r.sock", "--seccomp=on"),
        Row("device --user 0", 2, "--user '0': expected UID:GID", "device", "rng", "--socket", "{root}/r.sock", "--user", "0"),
        Row("device rng --socket empty", 2, "--socket: the path is empty", "device", "rng", "--socket", ""),
        Row("device rng without --socket", 2, "--socket", "device", "rng"),
        Row("device rng --socket too long", 2, "a Unix socket path must fit", "device", "rng", "--socket", "{long}"),
        Row("device rng --socket in a missing directory", 2, "does not exist", "device", "rng", "--socket", "{missing}/r.sock"),
        Row("device rng --socket a directory", 2, "is a directory", "device", "rng", "--socket", "{dir}"),
        Row("device rng --socket a FIFO", 2, "already exists (and is not a socket a killed glue left): remove it", "device", "rng", "--socket", "{fifo}"),
        Row("device rng --socket a regular file", 2, "already exists (and is not a socket a killed glue left): remove it", "device", "rng", "--socket", "{text}"),
        Row("device blk --disk a FIFO", 2, "is a FIFO", "device", "blk", "--socket", "{root}/b.sock", "--disk", "{fifo}"),
        Row("device vsock cid out of range", 2, "out of range", "device", "vsock", "--socket", "{root}/v.sock", "--vsock", "cid=4294967296,uds={root}/v"),
    };

    [BadInputTheory]
    [MemberData(nameof(Core))]
    [Trait("Device", "serial")]
    public Task Core_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(Block))]
    [Trait("Device", "blk")]
    public Task Block_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(Vsock))]
    [Trait("Device", "vsock")]
    public Task Vsock_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(Fs))]
    [Trait("Device", "fs")]
    public Task Fs_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(Other))]
    [Trait("Device", "rng"), Trait("Device", "virtio-console")]
    public Task Other_device_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(Device))]
    [Trait("Transport", "vhost-user"), Trait("Device", "blk"), Trait("Device", "rng"), Trait("Device", "vsock")]
    public Task Device_row(BadInputRow row) => AssertRowAsync(row);

    /// <summary>`glue device` takes one --socket per device its options make: the input feature makes two by default.</summary>
    public static TheoryData<BadInputRow> DisplayDevice => new()
    {
        Row("device input: two devices, one socket", 2, "these options make 2 device(s) and there are 1 --socket(s)", "device", "input", "--socket", "{root}/k.sock"),
        Row("device gpu with --input keyboard: two devices, one socket", 2, "these options make 2 device(s) and there are 1 --socket(s)",
            "device", "gpu", "--socket", "{root}/g.sock", "--input", "keyboard"),
        Row("device gpu: one device, two sockets", 2, "these options make 1 device(s) and there are 2 --socket(s)",
            "device", "gpu", "--socket", "{root}/g.sock", "--socket", "{root}/k.sock"),
    };

    /// <summary>`--vnc`: its address, its settings, and the password file, each named as the user wrote it.</summary>
    public static TheoryData<BadInputRow> Vnc => new()
    {
        Row("--vnc password-file a FIFO", 2, "--vnc password-file={files}/fifo: is a FIFO; it must be a regular file", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={fifo}"),
        Row("device gpu --vnc password-file a FIFO", 2, "--vnc password-file={files}/fifo: is a FIFO; it must be a regular file",
            "device", "gpu", "--socket", "{root}/g.sock", "--vnc", ":78,password-file={fifo}"),
        Row("--vnc password-file a directory", 2, "--vnc password-file={files}/dir: is a directory; it must be a regular file", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={dir}"),
        Row("--vnc password-file /dev/zero", 2, "--vnc password-file=/dev/zero: is a character device; it must be a regular file", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file=/dev/zero"),
        Row("--vnc password-file a 20 GiB sparse file", 2, "the file is 21474836480 bytes; a password file holds the password on its first line and is at most 1024 bytes",
            "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={sparse-20g}"),
        Row("--vnc password-file missing", 2, "--vnc password-file={files}/missing: no such file: create it with the password on its first line", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={missing}"),
        Row("--vnc password-file empty", 2, "the password is empty: put it on the file's first line", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={empty}"),
        Row("--vnc password of 9 bytes, not UTF-8", 2, "VNC passwords are at most 8 bytes; this one is 9", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,password-file={password-9x80}"),
        Row("--vnc unix: in a missing directory", 2, "--vnc unix:{files}/missing/v.sock: directory {files}/missing does not exist: create it or give a path in one that does",
            "run", "-k", "{guest}", "--gpu", "--vnc", "unix:{missing}/v.sock"),
        Row("device gpu --vnc unix: in a missing directory", 2, "--vnc unix:/nonexistent/dir/v.sock: directory /nonexistent/dir does not exist",
            "device", "gpu", "--socket", "{root}/g.sock", "--vnc", "unix:/nonexistent/dir/v.sock"),
        Row("--vnc unix: a directory", 2, "--vnc unix:{files}/dir: is a directory", "run", "-k", "{guest}", "--gpu", "--vnc", "unix:{dir}"),
        Row("--vnc off loopback without a password", 2, "--vnc 0.0.0.0:5978: VNC is not encrypted and this address is reachable from other hosts", "run", "-k", "{guest}", "--gpu", "--vnc", "0.0.0.0:5978"),
        Row("--vnc connections=0", 2, "--vnc :78,connections=0: connections must be a number from 1 to 256", "run", "-k", "{guest}", "--gpu", "--vnc", ":78,connections=0"),
        Row("--vnc an unknown setting", 2, "unknown setting 'share=ignore' (the settings are password-file=PATH, connections=N and insecure)",
            "run", "-k", "{guest}", "--gpu", "--vnc", ":78,share=ignore"),
    };

    [BadInputTheory]
    [MemberData(nameof(Vnc))]
    [Trait("Transport", "vhost-user"), Trait("Device", "gpu")]
    public Task Vnc_row(BadInputRow row) => AssertRowAsync(row);

    [BadInputTheory]
    [MemberData(nameof(DisplayDevice))]
    [Trait("Transport", "vhost-user"), Trait("Device", "gpu"), Trait("Device", "input")]
    public Task Display_device_row(BadInputRow row) => AssertRowAsync(row);

    private static async Task AssertRowAsync(BadInputRow row)
    {
        using var fixture = new BadInputFixture();
        // A runtime directory holding a regular file named like a VM's socket: no VM, and the file stays.
        Directory.CreateDirectory(Path.Combine(fixture.Expand("{root}"), "fakes", "glue"));
        string fake = Path.Combine(fixture.Expand("{root}"), "fakes", "glue", "fake.sock");
        File.WriteAllText(fake, "not a socket\n");

        var start = fixture.StartInfo(row);
        var result = await BoundedProcess.RunAsync(start, Limit, null, BoundedProcess.StopBy.Kill);

        Assert.True(result.ExitCode == row.ExitCode, $"{row.Case}: expected exit status {row.ExitCode}; {result.Describe()}");
        string message = fixture.Expand(row.Message);
        Assert.True(result.Stderr is [var line] && line.StartsWith("glue: ", StringComparison.Ordinal) && line.Contains(message, StringComparison.Ordinal),
            $"{row.Case}: expected one stderr line 'glue: ...{message}...'; {result.Describe()}");
        Assert.False(result.Stderr[0].Contains("System.") || result.Stderr[0].Contains("Glue.") || result.Stderr[0].Contains("Exception"),
            $"{row.Case}: the message names .NET; {result.Describe()}");
        GuestAssert.NoStackTrace(result);
        Assert.True(File.Exists(fake), $"{row.Case}: glue removed a regular file named *.sock");
        File.Delete(fake);
        var cids = row.Arguments.SelectMany(a => System.Text.RegularExpressions.Regex.Matches(a, @"cid=(\d{1,19})(?!\d)").Select(m => ulong.Parse(m.Groups[1].Value)));
        var left = fixture.Leftovers(cids);
        Assert.True(left.Count == 0, $"{row.Case}: left behind: {string.Join(", ", left)}");
    }
}
