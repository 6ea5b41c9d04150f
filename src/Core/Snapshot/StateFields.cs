using System.Text.Json;
using System.Text.Json.Nodes;

namespace Glue.Core.Snapshot;

/// <summary>Reading a snapshot's JSON: a missing or mistyped field is a <see cref="SnapshotException"/> that names it.</summary>
public static class StateFields
{
    public static JsonObject Object(this JsonNode? node, string field) =>
        Field(node, field) as JsonObject ?? throw Missing(field, "an object");

    public static JsonArray Array(this JsonNode? node, string field) =>
        Field(node, field) as JsonArray ?? throw Missing(field, "an array");

    public static ulong U64(this JsonNode? node, string field) => Value<ulong>(node, field, "a whole number");

    // Whole numbers are read as ulong (StateFileReader makes them so) and narrowed here.
    public static uint U32(this JsonNode? node, string field) =>
        U64(node, field) is var whole and <= uint.MaxValue ? (uint)whole : throw Missing(field, "a 32-bit whole number");

    public static byte U8(this JsonNode? node, string field) =>
        U64(node, field) is var whole and <= byte.MaxValue ? (byte)whole : throw Missing(field, "a byte");

    /// <summary>Entry <paramref name="index"/> of the array field <paramref name="field"/>, a whole number.</summary>
    public static ulong U64At(this JsonArray array, int index, string field) =>
        array[index] is JsonValue value && value.TryGetValue(out ulong whole) ? whole : throw Missing($"{field}[{index}]", "a whole number");

    public static long I64(this JsonNode? node, string field)
    {
        if (Field(node, field) is JsonValue value)
        {
            if (value.TryGetValue(out long signed)) return signed;
            if (value.TryGetValue(out ulong whole) && whole <= long.MaxValue) return (long)whole;
        }
        throw Missing(field, "a whole number");
    }

    public static bool Bool(this JsonNode? node, string field) => Value<bool>(node, field, "true or false");

    public static string String(this JsonNode? node, string field) => Value<string>(node, field, "a string");

    /// <summary>A field holding bytes in base64, of exactly <paramref name="length"/> bytes unless that is null.</summary>
    public static byte[] Bytes(this JsonNode? node, string field, int? length = null)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(node.String(field));
        }
        catch (FormatException)
        {
            throw Missing(field, "base64");
        }
        if (length is { } expected && bytes.Length != expected) throw new SnapshotException($"'{field}' holds {bytes.Length} bytes, not {expected}");
        return bytes;
    }

    private static T Value<T>(JsonNode? node, string field, string kind)
    {
        try
        {
            if (Field(node, field) is JsonValue value && value.TryGetValue(out T? result) && result is not null) return result;
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
        {
        }
        throw Missing(field, kind);
    }

    private static JsonNode? Field(JsonNode? node, string field) => (node as JsonObject)?[field];

    private static SnapshotException Missing(string field, string kind) => new($"'{field}' is missing or is not {kind}");
}
