using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Engine.Api;

/// <summary>
/// Streams a list page by page (limit/continue): one page in memory at a time, empty pages with a
/// continue token followed, 410 Expired answered by restarting once and then by continuing with the
/// fresh token (with a warning), and no object yielded twice (UIDs remembered).
/// </summary>
internal sealed class PagedLister
{
    private readonly KubeApiClient api;
    private readonly IEngineLog log;

    public PagedLister(KubeApiClient api, IEngineLog log)
    {
        this.api = api;
        this.log = log;
    }

    /// <summary>
    /// Lists <paramref name="request"/> (a path without limit/continue). <paramref name="accept"/> filters
    /// items before they are remembered and yielded. The JsonElement is valid until the next item (pages are
    /// read into one buffer, so nothing of a page outlives it).
    /// </summary>
    public async IAsyncEnumerable<JsonElement> ListAsync(
        ApiRequest request,
        int pageSize,
        Func<JsonElement, bool>? accept,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<Guid>();
        var seenText = new HashSet<string>(StringComparer.Ordinal);
        string? continueToken = null;
        var restarts = 0;
        var inconsistent = false;
        var page = 0;
        var buffer = new PageBuffer();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pageRequest = request.WithQuery("limit", pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)).WithQuery("continue", continueToken);
            JsonDocument document;
            try
            {
                document = await api.SendJsonAsync(pageRequest, buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.Gone && continueToken is not null)
            {
                if (restarts == 0)
                {
                    restarts++;
                    log.Verbose($"{api.Context}: the list of {request.Resource} expired (410) after {page} pages; restarting it.");
                    continueToken = null;
                    page = 0;
                    continue;
                }

                if (!string.IsNullOrEmpty(ex.FreshContinue))
                {
                    if (!inconsistent)
                    {
                        inconsistent = true;
                        log.Warning($"Context '{api.Context}': the list of {request.Resource} expired again (410 Gone); continuing with the server's fresh token, so objects changed meanwhile may be missed. Run the command again for a consistent answer.");
                    }

                    continueToken = ex.FreshContinue;
                    continue;
                }

                throw;
            }

            using (document)
            {
                page++;
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw Malformed(request, $"{Describe(root.ValueKind)}, not a list object");
                }

                // A list always has items (null for none, as Go writes an empty slice): anything else is not an
                // answer to trust, never "nothing found".
                var items = root.TryGetProperty("items", out var value) ? value : default;
                if (items.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
                {
                    throw Malformed(request, items.ValueKind == JsonValueKind.Undefined ? "a list without items" : $"a list whose items are {Describe(items.ValueKind)}, not an array");
                }

                if (items.ValueKind == JsonValueKind.Array)
                {
                    var index = 0;
                    foreach (var item in items.EnumerateArray())
                    {
                        if (item.ValueKind != JsonValueKind.Object)
                        {
                            throw Malformed(request, $"a list whose item {index} (page {page}) is {Describe(item.ValueKind)}, not an object");
                        }

                        index++;
                        if (accept is not null && !accept(item))
                        {
                            continue;
                        }

                        if (!Remember(item, seen, seenText))
                        {
                            continue;
                        }

                        yield return item;
                    }
                }

                continueToken = root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object &&
                    metadata.TryGetProperty("continue", out var next) && next.ValueKind == JsonValueKind.String
                    ? next.GetString()
                    : null;
            }

            if (string.IsNullOrEmpty(continueToken))
            {
                yield break;
            }
        }
    }

    private KubeApiException Malformed(ApiRequest request, string what) =>
        new("InvalidApiResponse", FailureCategory.InvalidData, request.Target, $"The API server {api.Server} (context '{api.Context}') answered the list of {request.Resource} ({ApiExchange.PathOnly(request.Path)}) with {what}.", null, null, null);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static bool Remember(JsonElement item, HashSet<Guid> seen, HashSet<string> seenText)
    {
        if (item.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object &&
            metadata.TryGetProperty("uid", out var uid) && uid.ValueKind == JsonValueKind.String)
        {
            var text = uid.GetString()!;
            return Guid.TryParse(text, out var guid) ? seen.Add(guid) : seenText.Add(text);
        }

        return true;
    }
}
