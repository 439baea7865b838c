using System.Text.Json;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine.Offline;
using HostNetAudit.Engine.Policy;
using HostNetAudit.Engine.Policy.Exemptions;
using HostNetAudit.Engine.Policy.Psa;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine.Policies;

/// <summary>Evaluates evidence built in memory with the same code path as -Path.</summary>
internal static class PolicyHarness
{
    /// <summary>What the evaluators read from the objects: the policy side and the hostNetwork pods, as -Path reads them.</summary>
    public static PolicyInputs Inputs(IEnumerable<EvidenceObject> objects, RecordingLog log) =>
        new EvidenceSet(objects.ToList(), log).ReadPolicyInputsAsync(new NamespacePolicyQuery(), CancellationToken.None).GetAwaiter().GetResult();

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null) =>
        Evaluate(TestObjects.Evidence(objects), psa, exemptions, log);

    public static List<NamespacePolicyResult> Evaluate(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null, ExemptionSet? exemptions = null, RecordingLog? log = null)
    {
        log ??= new RecordingLog();
        var evaluator = new NamespacePolicyEvaluator(Inputs(objects, log), psa, exemptions ?? ExemptionSet.Empty, log);
        var results = evaluator.Evaluate(null, CancellationToken.None).Select(f => f.ToRecord()).ToList();
        ReasonText.AssertClean(results);
        return results;
    }

    public static NamespacePolicyResult One(IEnumerable<JsonElement> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));

    public static NamespacePolicyResult One(IEnumerable<EvidenceObject> objects, PodSecurityConfiguration? psa = null) => Assert.Single(Evaluate(objects, psa));
}

/// <summary>
/// Issue 12: every reason and finding detail the suite produces through <see cref="PolicyHarness"/> (and the live
/// tests) reads as a sentence: no empty detail (": ;", "()", a trailing colon), no placeholder left unfilled, and no
/// absolute path (files are named relative to the -Path given).
/// </summary>
internal static partial class ReasonText
{
    public static void AssertClean(IEnumerable<HostNetAudit.NamespacePolicyResult> results)
    {
        foreach (var result in results)
        {
            AssertClean(result.Reason, $"{result.Namespace}: Reason");
            foreach (var finding in result.EnforcedBy.Concat(result.AuditOnly).Concat(result.Conditional).Concat(result.Unknown).Concat(result.Informational))
            {
                AssertClean(finding.Detail, $"{result.Namespace}: {finding.ShortName} Detail");
            }
        }
    }

    public static void AssertClean(string text, string what)
    {
        Assert.False(string.IsNullOrWhiteSpace(text), $"{what} is empty");
        Assert.False(EmptyDetail().IsMatch(text), $"{what} has an empty detail: {text}");
        Assert.False(Placeholder().IsMatch(text), $"{what} has a placeholder: {text}");
        Assert.False(AbsolutePath(text), $"{what} embeds an absolute path: {text}");
    }

    private static bool AbsolutePath(string text) =>
        text.Contains(System.IO.Path.GetTempPath().TrimEnd('/', '\\'), StringComparison.Ordinal) ||
        text.Contains(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
        WindowsPath().IsMatch(text) ||
        (Corpus.Directory is { } corpus && text.Contains(corpus, StringComparison.Ordinal));

    [System.Text.RegularExpressions.GeneratedRegex(@":\s*[;,.)]|:\s*$|\s\(\s*\)|;\s*;")]
    private static partial System.Text.RegularExpressions.Regex EmptyDetail();

    [System.Text.RegularExpressions.GeneratedRegex(@"\{[A-Za-z_][A-Za-z0-9_.]*\}|\{\d+\}|\bTODO\b|\(null\)")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    [System.Text.RegularExpressions.GeneratedRegex(@"\b[A-Za-z]:\\")]
    private static partial System.Text.RegularExpressions.Regex WindowsPath();
}
