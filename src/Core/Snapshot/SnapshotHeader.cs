using System.Text.Json.Serialization;

namespace Glue.Core.Snapshot;

/// <summary>
/// The head of state.json (docs/snapshot.md): what the file is, which format and which glue wrote it, the manifest that
/// glue was built from (a restore needs the same devices compiled in), and a CRC-32 per part, in hexadecimal.
/// </summary>
public sealed record SnapshotHeader(string Magic, int FormatVersion, string GlueVersion, string Manifest, Dictionary<string, string> Checksums)
{
    public const string ExpectedMagic = "glue-snapshot";
    public const int CurrentFormatVersion = 1;
}

/// <summary>The header's JSON, generated at build time (Native AOT has no reflection serialization).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SnapshotHeader))]
internal sealed partial class SnapshotJsonContext : JsonSerializerContext;
