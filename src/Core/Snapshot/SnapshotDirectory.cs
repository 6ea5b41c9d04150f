using System.IO.Hashing;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Glue.Core.Interop;
using Glue.Core.Memory;
using Microsoft.Win32.SafeHandles;

namespace Glue.Core.Snapshot;

/// <summary>
/// A snapshot on disk (docs/snapshot.md): DIR/state.json, the header and the parts, and DIR/memory, guest RAM as a
/// sparse file. Written memory first and state.json last; read and checked whole before anything is opened.
/// </summary>
public static class SnapshotDirectory
{
    public const string StateFile = "state.json";
    public const string MemoryFileName = "memory";

    // A file, not HTML: base64's '+' and '/' stay as they are.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A state file is tens of KiB (a few vCPUs' XSAVE areas in base64); one far past that is not a snapshot's.</summary>
    public const long MaxStateFileBytes = 16 << 20;

    private static readonly string[] Parts = [SnapshotState.MachinePart, SnapshotState.VcpusPart, SnapshotState.VmPart, SnapshotState.DevicesPart];

    /// <summary>
    /// Creates both files (refusing ones that exist) and writes them; on any failure removes what it created, so a
    /// refused or failed snapshot leaves nothing behind.
    /// </summary>
    public static void Write(string directory, SnapshotOrigin origin, SnapshotState state, GuestMemory memory)
    {
        string statePath = Path.Combine(directory, StateFile), memoryPath = Path.Combine(directory, MemoryFileName);
        var created = new List<string>();
        try
        {
            using (var memoryFile = File.OpenHandle(memoryPath, FileMode.CreateNew, FileAccess.ReadWrite))
            {
                created.Add(memoryPath);
                MemoryFile.Write(memory, memoryFile);
                // state.json marks a whole snapshot: RAM must be on disk before it is.
                RandomAccess.FlushToDisk(memoryFile);
            }
            using var stateFile = File.Open(statePath, FileMode.CreateNew, FileAccess.Write);
            created.Add(statePath);
            stateFile.Write(StateBytes(origin, state));
            stateFile.Flush(flushToDisk: true);
        }
        catch
        {
            foreach (string path in created) File.Delete(path);
            throw;
        }
    }

    private static byte[] StateBytes(SnapshotOrigin origin, SnapshotState state)
    {
        var parts = new Dictionary<string, byte[]>
        {
            [SnapshotState.MachinePart] = Indented(state.MachineJson()),
            [SnapshotState.VcpusPart] = Indented(state.Vcpus),
            [SnapshotState.VmPart] = Indented(state.Vm),
            [SnapshotState.DevicesPart] = Indented(state.Devices),
        };
        var header = new SnapshotHeader(SnapshotHeader.ExpectedMagic, SnapshotHeader.CurrentFormatVersion, origin.GlueVersion, origin.Manifest,
            parts.ToDictionary(p => p.Key, p => Checksum(p.Value)));
        var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("header");
            JsonSerializer.Serialize(writer, header, SnapshotJsonContext.Default.SnapshotHeader);
            // Each part as it was checksummed, byte for byte: the reader checks the same bytes (StateFileReader keeps them).
            foreach (var (name, bytes) in parts)
            {
                writer.WritePropertyName(name);
                writer.WriteRawValue(bytes, skipInputValidation: true);
            }
            writer.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
        return output.ToArray();
    }

    private static byte[] Indented(JsonNode node)
    {
        var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output, WriterOptions)) node.WriteTo(writer);
        return output.ToArray();
    }

    private static string Checksum(ReadOnlySpan<byte> bytes) => Crc32.HashToUInt32(bytes).ToString("x8");

    /// <summary>
    /// Reads and checks DIR for a restore by this glue: every refusal is a <see cref="SnapshotException"/> naming
    /// <paramref name="option"/>, DIR and the part. Opens the memory file (read-only) only once all else is good.
    /// </summary>
    public static (SnapshotState State, SafeFileHandle Memory) Read(string option, string directory, SnapshotOrigin origin)
    {
        string where = $"{option} {directory}";
        if (!Directory.Exists(directory)) throw new SnapshotException($"{where}: no such directory");
        string statePath = Path.Combine(directory, StateFile), memoryPath = Path.Combine(directory, MemoryFileName);
        SnapshotState state;
        using (var stateFile = Open(where, statePath, StateFile, out var stateStatus))
        {
            if (stateStatus.Size > MaxStateFileBytes)
                throw new SnapshotException($"{where}: {StateFile} is {stateStatus.Size} bytes, more than a snapshot's state file can be ({MaxStateFileBytes >> 20} MiB)");
            var bytes = new byte[stateStatus.Size];
            if (RegularFile.Read(stateFile, bytes) is { } problem) throw new SnapshotException($"{where}: {StateFile}: {problem}");
            try
            {
                state = Parse(bytes, origin);
            }
            catch (SnapshotException e)
            {
                throw new SnapshotException($"{where}: {StateFile}: {e.Message}");
            }
        }
        var memory = Open(where, memoryPath, MemoryFileName, out var memoryStatus);
        if ((ulong)memoryStatus.Size != state.Machine.MemoryBytes)
        {
            memory.Dispose();
            throw new SnapshotException($"{where}: {MemoryFileName} is {memoryStatus.Size} bytes, the snapshot's RAM is {state.Machine.MemoryBytes}");
        }
        return (state, memory);
    }

    /// <summary>One of DIR's files, which must be a regular file (a FIFO would block the restore), open for reading.</summary>
    private static SafeFileHandle Open(string where, string path, string name, out FileStatus status) =>
        RegularFile.Open(path, out status, out string? problem) ??
        throw new SnapshotException($"{where}: {name}: {problem}");

    /// <summary>The state file's bytes to parts: header first (magic, format, manifest), then each part against its checksum.</summary>
    internal static SnapshotState Parse(byte[] bytes, SnapshotOrigin origin)
    {
        Dictionary<string, (JsonNode? Tree, ReadOnlyMemory<byte> Bytes)> members;
        try
        {
            members = StateFileReader.TopLevel(bytes);
        }
        catch (JsonException)
        {
            throw new SnapshotException("not valid JSON (truncated or corrupted)");
        }
        if (!members.TryGetValue("header", out var headerMember))
            throw new SnapshotException("no header: not a Glue snapshot");
        SnapshotHeader? header;
        try
        {
            header = JsonSerializer.Deserialize(headerMember.Bytes.Span, SnapshotJsonContext.Default.SnapshotHeader);
        }
        catch (JsonException)
        {
            header = null;
        }
        if (header is null || header.Magic != SnapshotHeader.ExpectedMagic || header.Checksums is null || header.Manifest is null)
            throw new SnapshotException("the header is not a Glue snapshot's");
        if (header.FormatVersion != SnapshotHeader.CurrentFormatVersion)
            throw new SnapshotException($"header: format version {header.FormatVersion}, this glue reads version {SnapshotHeader.CurrentFormatVersion}");
        if (header.Manifest != origin.Manifest)
            throw new SnapshotException($"header: taken by a glue built from manifest '{header.Manifest}', this glue is built from '{origin.Manifest}'");
        var parts = new Dictionary<string, JsonNode?>();
        foreach (string part in Parts)
        {
            if (!members.TryGetValue(part, out var member)) throw new SnapshotException($"part '{part}' is missing");
            if (!header.Checksums.TryGetValue(part, out string? expected) || expected != Checksum(member.Bytes.Span))
                throw new SnapshotException($"part '{part}' does not match its checksum (corrupted)");
            parts[part] = member.Tree;
        }
        var machine = parts[SnapshotState.MachinePart] as JsonObject ?? throw new SnapshotException("part 'machine' is not an object");
        try
        {
            return new SnapshotState(SnapshotState.ReadMachine(machine),
                parts[SnapshotState.VcpusPart] as JsonArray ?? throw new SnapshotException("'vcpus' is not an array"),
                parts[SnapshotState.VmPart] as JsonObject ?? throw new SnapshotException("'vm' is not an object"),
                parts[SnapshotState.DevicesPart] as JsonObject ?? throw new SnapshotException("'devices' is not an object"));
        }
        catch (SnapshotException e)
        {
            throw new SnapshotException($"part 'machine': {e.Message}");
        }
    }
}
