using System.Text.Json;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// One page of a list, read with a forward-only reader: where each item lies in the page's bytes and the
/// continue token. A list page is never parsed as one document: a JsonDocument's index of a page is about as
/// large as the page, rented from the shared pool, and the pool keeps such arrays per thread and per core
/// long after the listing (on a 50,000-pod fallback of 11 KB pods, 15 arrays of 4 to 8 MB stayed behind).
/// Items are parsed one by one instead, each index the size of one object.
/// </summary>
internal sealed class ListPage
{
    private ListPage(ReadOnlyMemory<byte> bytes, List<Range> items, string? continueToken)
    {
        Bytes = bytes;
        Items = items;
        ContinueToken = continueToken;
    }

    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Where each item lies in <see cref="Bytes"/>, in order; every item is an object.</summary>
    public List<Range> Items { get; }

    public string? ContinueToken { get; }

    /// <summary>
    /// Reads a page; a body that is not a list object is <see cref="MalformedListException"/> saying what it is,
    /// a body that is not JSON is <see cref="JsonException"/>. Like a JsonDocument, the last of repeated
    /// properties wins.
    /// </summary>
    public static ListPage Read(ReadOnlyMemory<byte> bytes, int page)
    {
        var reader = new Utf8JsonReader(bytes.Span);
        if (!reader.Read())
        {
            throw new JsonException("The body is empty.");
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var kind = Describe(reader.TokenType);
            reader.Skip();
            EnsureEnd(ref reader);
            throw new MalformedListException($"{kind}, not a list object");
        }

        List<Range>? items = null;
        string? itemsProblem = null;
        var hasItems = false;
        string? continueToken = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueTextEquals("items") ? "items" : reader.ValueTextEquals("metadata") ? "metadata" : null;
            reader.Read();
            if (name == "items")
            {
                hasItems = true;
                (items, itemsProblem) = ReadItems(ref reader, page);
            }
            else if (name == "metadata" && reader.TokenType == JsonTokenType.StartObject)
            {
                continueToken = ReadContinue(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        EnsureEnd(ref reader);

        // A list always has items (null for none, as Go writes an empty slice): anything else is not an answer
        // to trust, never "nothing found".
        if (!hasItems)
        {
            throw new MalformedListException("a list without items");
        }

        if (itemsProblem is not null)
        {
            throw new MalformedListException(itemsProblem);
        }

        return new ListPage(bytes, items ?? new List<Range>(), continueToken);
    }

    private static (List<Range>? Items, string? Problem) ReadItems(ref Utf8JsonReader reader, int page)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (null, null);
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            var kind = Describe(reader.TokenType);
            reader.Skip();
            return (null, $"a list whose items are {kind}, not an array");
        }

        var items = new List<Range>();
        string? problem = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var start = (int)reader.TokenStartIndex;
            var kind = reader.TokenType;
            reader.Skip();
            if (kind != JsonTokenType.StartObject)
            {
                problem ??= $"a list whose item {items.Count} (page {page}) is {Describe(kind)}, not an object";
                continue;
            }

            items.Add(new Range(start, (int)reader.BytesConsumed));
        }

        return (items, problem);
    }

    private static string? ReadContinue(ref Utf8JsonReader reader)
    {
        string? token = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isContinue = reader.ValueTextEquals("continue");
            reader.Read();
            if (isContinue)
            {
                token = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            reader.Skip();
        }

        return token;
    }

    /// <summary>Nothing but whitespace may follow the value (a JsonDocument refuses trailing data too).</summary>
    private static void EnsureEnd(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new JsonException("The body has data after its value.");
        }
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        _ => "null",
    };
}

/// <summary>A page that is JSON but not a list object: the message says what it is instead.</summary>
internal sealed class MalformedListException : Exception
{
    public MalformedListException(string what)
        : base(what)
    {
    }
}
