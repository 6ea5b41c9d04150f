using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace Glue.BuildTests;

/// <summary>
/// One row of the bad-input table: glue's arguments (with {placeholders} for the files a <see cref="BadInputFixture"/>
/// makes), environment changes, the exact exit status, and a fragment the one error line must contain.
/// </summary>
public sealed record BadInputRow(string Case, int ExitCode, string Message, string[] Arguments, (string Name, string? Value)[]? Environment = null)
{
    public override string ToString() => Case;
}

/// <summary>
/// A private world for one row: XDG_RUNTIME_DIR and TMPDIR of its own, and every kind of wrong file a user can
/// hand glue. After the run, <see cref="Leftovers"/> lists anything glue (or the .NET runtime) left behind.
/// </summary>
public sealed class BadInputFixture : IDisposable
{
    private readonly TempDirectory _root = new();

    public BadInputFixture()
    {
        Directory.CreateDirectory(Runtime);
        Directory.CreateDirectory(Tmp);
        Directory.CreateDirectory(Files);
        Directory.CreateDirectory(Path.Combine(Files, "dir"));
        Write("empty", []);
        Write("text", "this is not a kernel\n"u8.ToArray());
        var random = new byte[64 * 1024];
        new Random(7).NextBytes(random);
        Write("random", random);
        Write("disk", new byte[64 * 1024]);
        Write("odd-disk", new byte[1000]);
        Write("noteless.elf", Elf(type: 2, machine: 62, entry: 0x100000, pvhNote: false));
        Write("pvh-outside.elf", Elf(type: 2, machine: 62, entry: 0x900000, pvhNote: true, pvhEntry: 0x900000));
        Write("arm.elf", Elf(type: 2, machine: 183, entry: 0x100000, pvhNote: true));
        Write("dyn.elf", Elf(type: 3, machine: 62, entry: 0x100000, pvhNote: true));
        var elf32 = Elf(type: 2, machine: 62, entry: 0x100000, pvhNote: true);
        elf32[4] = 1; // ELFCLASS32
        Write("elf32.elf", elf32);
        var truncated = Elf(type: 2, machine: 62, entry: 0x100000, pvhNote: true);
        BinaryPrimitives.WriteUInt16LittleEndian(truncated.AsSpan(56), 200); // e_phnum past the end of the file
        Write("phdrs.elf", truncated);
        using (var sparse = File.Create(Path.Combine(Files, "sparse-20g"))) sparse.SetLength(20L << 30);
        Run("mkfifo", Path.Combine(Files, "fifo"));
        // Snapshot directories whose state.json would block a restore or be read whole (a memory file beside each).
        foreach (var snapshot in new[] { "snapshot-fifo", "snapshot-huge" })
        {
            Directory.CreateDirectory(Path.Combine(Files, snapshot));
            Write(Path.Combine(snapshot, "memory"), []);
        }
        Run("mkfifo", Path.Combine(Files, "snapshot-fifo", "state.json"));
        using (var huge = File.Create(Path.Combine(Files, "snapshot-huge", "state.json"))) huge.SetLength(1L << 30);
        Write("fake.sock", "a regular file named like a socket\n"u8.ToArray());
        Write("glue", "a file where the runtime directory would be\n"u8.ToArray());
        Write("password-9x80", [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, (byte)'\n']); // 9 bytes that are not UTF-8
    }

    public string Runtime => Path.Combine(_root.Path, "run");
    public string Tmp => Path.Combine(_root.Path, "tmp");
    public string Files => Path.Combine(_root.Path, "files");

    /// <summary>{guest}, {files}/NAME as {NAME}, {root}, {long} (a path too long for a Unix socket).</summary>
    public string Expand(string argument)
    {
        argument = argument.Replace("{guest}", TestEnvironment.Guest).Replace("{root}", _root.Path).Replace("{runtime}", Runtime).Replace("{files}", Files)
            .Replace("{long}", Path.Combine(Files, new string('s', 120)));
        foreach (var name in new[] { "empty", "text", "random", "disk", "odd-disk", "noteless.elf", "pvh-outside.elf", "arm.elf", "dyn.elf",
                     "elf32.elf", "phdrs.elf", "sparse-20g", "fifo", "dir", "fake.sock", "password-9x80", "snapshot-fifo", "snapshot-huge", "missing" })
            argument = argument.Replace($"{{{name}}}", Path.Combine(Files, name));
        return argument;
    }

    public ProcessStartInfo StartInfo(BadInputRow row)
    {
        // Here, whatever KVM is: glue must refuse the input before it opens /dev/kvm, so no row needs a VM.
        var start = GlueInvocation.StartHere(row.Arguments.Select(Expand));
        start.Environment["XDG_RUNTIME_DIR"] = Runtime;
        start.Environment["TMPDIR"] = Tmp;
        foreach (var (name, value) in row.Environment ?? [])
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = Expand(value);
        }
        return start;
    }

    /// <summary>Files glue left: anything in TMPDIR (where the runtime's diagnostics socket would be), any file under the runtime directory, a CID lock.</summary>
    public IReadOnlyList<string> Leftovers(IEnumerable<ulong> cids)
    {
        var left = Directory.EnumerateFileSystemEntries(Tmp, "*", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFileSystemEntries(_root.Path).Where(f => Path.GetFileName(f) is not ("run" or "tmp" or "files" or "fakes")))
            .Concat(Directory.EnumerateFiles(Runtime, "*", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFileSystemEntries(Files).Where(f => !Expected.Contains(Path.GetFileName(f))))
            .Concat(cids.Select(cid => $"/run/lock/glue-vsock-cid-{cid}.lock").Where(File.Exists));
        return left.ToList();
    }

    private static readonly HashSet<string> Expected =
    [
        "dir", "empty", "text", "random", "disk", "odd-disk", "noteless.elf", "pvh-outside.elf", "arm.elf", "dyn.elf", "elf32.elf", "phdrs.elf",
        "sparse-20g", "fifo", "fake.sock", "glue", "password-9x80", "snapshot-fifo", "snapshot-huge",
    ];

    private void Write(string name, byte[] contents) => File.WriteAllBytes(Path.Combine(Files, name), contents);

    /// <summary>A small ELF64: one PT_LOAD of 16 bytes at 1 MiB, and optionally the Xen PVH note.</summary>
    private static byte[] Elf(ushort type, ushort machine, ulong entry, bool pvhNote, uint pvhEntry = 0x100000)
    {
        const int header = 64, phdr = 56;
        byte[] note = [];
        if (pvhNote)
        {
            note = new byte[12 + 4 + 4];
            BinaryPrimitives.WriteUInt32LittleEndian(note, 4);
            BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(4), 4);
            BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(8), 18); // XEN_ELFNOTE_PHYS32_ENTRY
            "Xen\0"u8.CopyTo(note.AsSpan(12));
            BinaryPrimitives.WriteUInt32LittleEndian(note.AsSpan(16), pvhEntry);
        }
        int phnum = pvhNote ? 2 : 1;
        int code = header + phnum * phdr;
        var image = new byte[code + 16 + note.Length];
        "\x7f"u8.CopyTo(image);
        "ELF"u8.CopyTo(image.AsSpan(1));
        image[4] = 2;
        image[5] = 1;
        image[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(16), type);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(18), machine);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(24), entry);
        BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(32), header);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(54), phdr);
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(56), (ushort)phnum);
        WritePhdr(image.AsSpan(header), 1, (ulong)code, 0x100000, 16, 16);
        if (pvhNote) WritePhdr(image.AsSpan(header + phdr), 4, (ulong)(code + 16), 0, (ulong)note.Length, (ulong)note.Length);
        image.AsSpan(code, 16).Fill(0xf4);
        note.CopyTo(image, code + 16);
        return image;
    }

    private static void WritePhdr(Span<byte> ph, uint type, ulong offset, ulong address, ulong fileSize, ulong memorySize)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(ph, type);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], offset);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], address);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], fileSize);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], memorySize);
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(program, arguments);
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed");
    }

    public void Dispose() => _root.Dispose();
}
