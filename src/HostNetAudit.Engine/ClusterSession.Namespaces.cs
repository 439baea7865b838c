using System.Net;
using System.Runtime.CompilerServices;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Api;

namespace HostNetAudit.Engine;

/// <summary>
/// Tells a namespace that does not exist from one that has nothing to report: a literal -Namespace with a
/// typo must not look like a clean result.
/// </summary>
internal sealed partial class ClusterSession
{
    /// <summary>
    /// Streams the hostNetwork workloads and, for each literal namespace that yielded none, checks that the
    /// namespace exists (one GET): a missing one is a non-terminating NamespaceNotFound.
    /// </summary>
    private async IAsyncEnumerable<HostNetworkWorkload> WithMissingNamespacesReported(
        IAsyncEnumerable<HostNetworkWorkload> source,
        IReadOnlyList<string> literalNamespaces,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var workload in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            seen.Add(workload.Namespace);
            yield return workload;
        }

        foreach (var ns in literalNamespaces.Where(n => !seen.Contains(n)).Distinct(StringComparer.Ordinal))
        {
            await ReportIfNamespaceMissingAsync(ns, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// GET the namespace; a 404 is written as NamespaceNotFound (ObjectNotFound, target the namespace). Any
    /// other answer (it exists, or we may not tell: 403, faults) says nothing more: the lists already spoke.
    /// </summary>
    private async Task ReportIfNamespaceMissingAsync(string ns, CancellationToken cancellationToken)
    {
        var request = new ApiRequest(HttpMethod.Get, $"/api/v1/namespaces/{Uri.EscapeDataString(ns)}", "GetNamespace", "get", "namespaces", null, ns);
        try
        {
            using var document = await Api.SendJsonAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (KubeApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            log.Error(new HostNetAuditException(
                "NamespaceNotFound",
                FailureCategory.ObjectNotFound,
                ns,
                $"The namespace '{ns}' does not exist in context '{Context}'.",
                ex));
        }
        catch (KubeApiException ex)
        {
            log.Debug($"{Context}: could not tell whether namespace '{ns}' exists: {ex.Message}");
        }
    }
}
