using System.Text.Json;
using System.Text.Json.Nodes;

namespace Glue.Core.Snapshot;

/// <summary>
/// Reads state.json with Utf8JsonReader into its top-level parts, each with its exact bytes (what its checksum covers)
/// and its tree. Not JsonDocument or JsonNode.Parse: their duplicate-property check seeds a hash from .NET's
/// RandomNumberGenerator, which loads libssl, and glue needs no OpenSSL (tests/build/LibsslFreeTests.cs).
/// </summary>
internal static class StateFileReader
{
    /// <summary>The top-level object's members; throws JsonException for what is not JSON, SnapshotException for a root that is no object.</summary>
    public static Dictionary<string, (JsonNode? Tree, ReadOnlyMemory<byte> Bytes)> TopLevel(ReadOnlyMemory<byte> json)
    {
        try
        {
            return Members(json);
        }
        catch (InvalidOperationException e)
        {
            // A string that is no valid UTF-16 (a lone surrogate escape).
            throw new JsonException(e.Message);
        }
    }

    private static Dictionary<string, (JsonNode? Tree, ReadOnlyMemory<byte> Bytes)> Members(ReadOnlyMemory<byte> json)
    {
        var reader = new Utf8JsonReader(json.Span, new JsonReaderOptions { MaxDepth = 16 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new SnapshotException("no header: not a Glue snapshot");
        var parts = new Dictionary<string, (JsonNode?, ReadOnlyMemory<byte>)>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            int start = (int)reader.TokenStartIndex;
            var tree = Tree(ref reader);
            parts[name] = (tree, json[start..(int)reader.BytesConsumed]);
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            throw new JsonException("state.json does not end with its top-level object");
        return parts;
    }

    /// <summary>The value at the reader, which is left on its last token. Whole numbers are ulong, or long below 0 (StateFields reads them so).</summary>
    private static JsonNode? Tree(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var members = new JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    members[name] = Tree(ref reader);
                }
                return members;
            case JsonTokenType.StartArray:
                var items = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    items.Add(Tree(ref reader));
                return items;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                return reader.TryGetUInt64(out ulong whole) ? JsonValue.Create(whole)
                    : reader.TryGetInt64(out long negative) ? JsonValue.Create(negative)
                    : JsonValue.Create(reader.GetDouble());
            case JsonTokenType.True or JsonTokenType.False:
                return JsonValue.Create(reader.GetBoolean());
            case JsonTokenType.Null:
                return null;
            default:
                throw new JsonException($"unexpected {reader.TokenType}");
        }
    }
}
