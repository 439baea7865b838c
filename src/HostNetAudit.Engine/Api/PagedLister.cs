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
            ListPage listPage;
            try
            {
                listPage = await api.SendPageAsync(pageRequest, buffer, page + 1, cancellationToken).ConfigureAwait(false);
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

            page++;
            foreach (var range in listPage.Items)
            {
                // Parsed from the page's bytes in place (no copy); valid until the next item.
                using var document = JsonDocument.Parse(listPage.Bytes[range]);
                var item = document.RootElement;
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

            continueToken = listPage.ContinueToken;
            if (string.IsNullOrEmpty(continueToken))
            {
                yield break;
            }
        }
    }

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
