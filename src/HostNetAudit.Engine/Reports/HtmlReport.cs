using System.Globalization;
using System.Net;
using System.Text;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// One self-contained HTML file for people: the verdict at a glance per cluster, a chart of namespaces
/// by status, the namespaces to fix with the exact command, hostNetwork pods with owners, exemptions with
/// justifications. No scripts, no external resources; every value HTML-encoded.
/// </summary>
internal static class HtmlReport
{
    private static readonly Dictionary<string, (string Color, string Label)> StatusStyle = new(StringComparer.Ordinal)
    {
        ["NonCompliant"] = ("#c62828", "Non-compliant"),
        ["Conditional"] = ("#ef6c00", "Conditional"),
        ["Unknown"] = ("#757575", "Unknown"),
        ["Exempt"] = ("#1565c0", "Exempt"),
        ["Compliant"] = ("#2e7d32", "Compliant"),
    };

    public static void Write(IReadOnlyList<AuditReport> reports, Stream output)
    {
        using var writer = new StreamWriter(output, ReportWriter.Utf8, 64 * 1024, leaveOpen: true);
        writer.Write(Render(reports));
    }

    public static string Render(IReadOnlyList<AuditReport> reports)
    {
        var html = new StringBuilder(64 * 1024);
        var passed = reports.Count(r => r.Passed);
        var generated = reports.Count == 0 ? DateTimeOffset.UtcNow : reports.Max(r => r.GeneratedAt);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n");
        html.Append("<title>HostNetAudit report — ").Append(E(AuditReport.ControlTitle)).Append("</title>\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<header><div class=\"brand\">HostNetAudit</div><h1>").Append(E(AuditReport.ControlTitle)).Append("</h1>");
        html.Append("<p class=\"sub\">").Append(E(string.Join(" · ", reports.FirstOrDefault()?.Controls ?? Array.Empty<string>())))
            .Append("<br>Generated ").Append(E(generated.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)))
            .Append(" by HostNetAudit ").Append(E(reports.FirstOrDefault()?.ModuleVersion ?? string.Empty)).Append("</p>");
        html.Append("<p class=\"overall ").Append(passed == reports.Count ? "pass" : "fail").Append("\">")
            .Append(E($"{passed} of {reports.Count} cluster{(reports.Count == 1 ? string.Empty : "s")} pass")).Append("</p></header>\n<main>\n");

        foreach (var report in reports)
        {
            RenderCluster(html, report);
        }

        html.Append("</main>\n<footer>Statuses: <b>Compliant</b> — an enforcing admission policy refuses hostNetwork pods; ")
            .Append("<b>Conditional</b> — it applies only to some pods (selectors, conditions, exemptions), which does not satisfy the control; ")
            .Append("<b>Unknown</b> — it could not be read or judged; <b>Exempt</b> — declared in the exemptions file with a justification. ")
            .Append("Warn- and audit-only mechanisms are reported, never counted.</footer>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void RenderCluster(StringBuilder html, AuditReport report)
    {
        var verdict = report.Passed ? "pass" : "fail";
        html.Append("<section class=\"cluster\">\n<div class=\"verdict ").Append(verdict).Append("\"><span class=\"badge\">")
            .Append(report.Passed ? "PASS" : "FAIL").Append("</span><div><h2>").Append(E(report.Context)).Append("</h2><p>")
            .Append(E(report.Source ?? string.Empty));
        if (!string.IsNullOrEmpty(report.KubernetesVersion))
        {
            html.Append(" · Kubernetes ").Append(E(report.KubernetesVersion!));
        }

        html.Append("</p></div></div>\n");
        foreach (var note in report.Notes.Where(n => !n.StartsWith("No AdmissionConfiguration", StringComparison.Ordinal)))
        {
            html.Append("<p class=\"note\">").Append(E(note)).Append("</p>\n");
        }

        if (report.PodSecurityDefaultAssumed)
        {
            html.Append("<p class=\"note\">No AdmissionConfiguration was given: namespaces without Pod Security labels were judged with the Kubernetes built-in default <code>privileged</code>, which the API cannot show.")
                .Append(report.AssumedDefaultDecidedResult ? " <b>This assumption decided the result</b>: pass the cluster's configuration with <code>-AdmissionConfiguration</code> if it sets a stricter default." : string.Empty)
                .Append("</p>\n");
        }

        var summary = report.Summary;
        html.Append("<div class=\"grid\">\n<div class=\"chart\">").Append(Chart(report)).Append("</div>\n<dl class=\"numbers\">");
        Number(html, "Namespaces", summary.Namespaces);
        Number(html, "Compliant", summary.Compliant);
        Number(html, "Non-compliant", summary.NonCompliant);
        Number(html, "Conditional", summary.Conditional);
        Number(html, "Unknown", summary.Unknown);
        Number(html, "Exempt", summary.Exempt);
        Number(html, "hostNetwork pods", summary.HostNetworkPods);
        Number(html, "of them exempt", summary.ExemptHostNetworkPods);
        Number(html, "hostNetwork workloads", summary.HostNetworkWorkloads);
        html.Append("</dl>\n</div>\n");

        var findings = report.Findings;
        html.Append("<h3>Namespaces to fix (").Append(findings.Length.ToString(CultureInfo.InvariantCulture)).Append(")</h3>\n");
        if (findings.Length == 0)
        {
            html.Append("<p class=\"ok\">Every namespace is compliant or exempt.</p>\n");
        }
        else
        {
            html.Append("<table><thead><tr><th>Namespace</th><th>Status</th><th>Pod Security</th><th>Audit/warn only</th><th>hostNetwork pods</th><th>Why</th><th>Fix</th></tr></thead><tbody>\n");
            foreach (var ns in findings)
            {
                html.Append("<tr><td>").Append(E(ns.Namespace)).Append("</td><td>").Append(Status(ns.Status)).Append("</td><td>")
                    .Append(E(ns.PodSecurity ?? string.Empty)).Append(ns.PodSecuritySource is null ? string.Empty : "<br><small>" + E(ns.PodSecuritySource) + "</small>")
                    .Append("</td><td>").Append(E(ns.AuditOnly ?? "—")).Append("</td><td class=\"num\">").Append(ns.HostNetworkPodCount.ToString(CultureInfo.InvariantCulture))
                    .Append("</td><td>").Append(E(ns.Reason ?? string.Empty)).Append("</td><td>")
                    .Append(ns.Remediation is null ? "—" : "<code>" + E(ns.Remediation) + "</code>").Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        // Who can get a hostNetwork pod admitted where one is admitted (Get-HostNetworkPermission has the paths).
        var admitting = report.Namespaces.Where(n => n.IdentityCount is not null).ToList();
        if (admitting.Count > 0)
        {
            html.Append("<h3>Who can get a hostNetwork pod admitted</h3>\n<p><small>Identities other than the control plane's own, from RBAC and by rule; a lower bound: ")
                .Append(E(string.Join(", ", report.AuthorizersNotEvaluated))).Append(" authorizers are not evaluated. Run <code>Get-HostNetworkPermission</code> for each path.</small></p>\n");
            html.Append("<table><thead><tr><th>Namespace</th><th>Status</th><th>Identities</th><th>Who (undeclared in bold)</th></tr></thead><tbody>\n");
            foreach (var ns in admitting)
            {
                var undeclared = new HashSet<string>(ns.UndeclaredIdentities, StringComparer.Ordinal);
                var who = ns.Identities.Length == 0 ? "—" : string.Join(", ", ns.Identities.Select(i => undeclared.Contains(i) ? "<strong>" + E(i) + "</strong>" : E(i)));
                html.Append("<tr><td>").Append(E(ns.Namespace)).Append("</td><td>").Append(Status(ns.Status)).Append("</td><td class=\"num\">")
                    .Append(ns.IdentityCount!.Value.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(who).Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        html.Append("<h3>hostNetwork pods (").Append(report.HostNetworkPods.Length.ToString(CultureInfo.InvariantCulture)).Append(")</h3>\n");
        if (report.HostNetworkPods.Length == 0)
        {
            html.Append("<p class=\"ok\">No pod runs with hostNetwork: true.</p>\n");
        }
        else
        {
            html.Append("<table><thead><tr><th>Namespace</th><th>Pod</th><th>Node</th><th>Owner</th><th>Host ports</th><th>Flags</th><th>Exempt</th></tr></thead><tbody>\n");
            foreach (var pod in report.HostNetworkPods.OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal))
            {
                var flags = new List<string>();
                if (pod.Privileged)
                {
                    flags.Add("privileged");
                }

                if (pod.HostPID)
                {
                    flags.Add("hostPID");
                }

                if (pod.HostIPC)
                {
                    flags.Add("hostIPC");
                }

                if (pod.IsMirrorPod)
                {
                    flags.Add("static");
                }

                var exemption = pod.Exemption;
                html.Append("<tr><td>").Append(E(pod.Namespace)).Append("</td><td>").Append(E(pod.Name)).Append("</td><td>").Append(E(pod.NodeName ?? string.Empty))
                    .Append("</td><td>").Append(E(pod.Owner)).Append("</td><td>").Append(E(string.Join(", ", pod.HostPorts.Select(p => p.ToString()))))
                    .Append("</td><td>").Append(E(string.Join(", ", flags))).Append("</td><td>").Append(exemption is null ? "—" : E(exemption)).Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        if (report.HostNetworkWorkloads.Length > 0)
        {
            html.Append("<h3>hostNetwork workload templates (").Append(report.HostNetworkWorkloads.Length.ToString(CultureInfo.InvariantCulture)).Append(")</h3>\n");
            html.Append("<p>They create hostNetwork pods whenever they run — also those at zero replicas, suspended or waiting for their schedule.</p>\n");
            html.Append("<table><thead><tr><th>Kind</th><th>Namespace</th><th>Name</th><th>Replicas</th><th>Host ports</th><th>Exempt</th></tr></thead><tbody>\n");
            foreach (var workload in report.HostNetworkWorkloads.OrderBy(w => w.Namespace, StringComparer.Ordinal).ThenBy(w => w.Kind, StringComparer.Ordinal).ThenBy(w => w.Name, StringComparer.Ordinal))
            {
                html.Append("<tr><td>").Append(E(workload.Kind)).Append("</td><td>").Append(E(workload.Namespace)).Append("</td><td>").Append(E(workload.Name))
                    .Append("</td><td>").Append(E(workload.ReplicaSummary)).Append("</td><td>").Append(E(string.Join(", ", workload.HostPorts.Select(p => p.ToString()))))
                    .Append("</td><td>").Append(workload.Exemption is null ? "—" : E(workload.Exemption)).Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        if (report.Exemptions.Length > 0)
        {
            html.Append("<h3>Exemptions applied (").Append(report.Exemptions.Length.ToString(CultureInfo.InvariantCulture)).Append(")</h3>\n<table><thead><tr><th>Scope</th><th>What</th><th>Justification</th><th>Matched</th></tr></thead><tbody>\n");
            foreach (var exemption in report.Exemptions)
            {
                var what = exemption.Scope == "Namespace" ? exemption.Namespace ?? string.Empty : $"{exemption.Kind}/{exemption.Namespace}/{exemption.Name}";
                html.Append("<tr><td>").Append(E(exemption.Scope)).Append("</td><td>").Append(E(what)).Append("</td><td>").Append(E(exemption.Justification))
                    .Append("</td><td>").Append(E(string.Join(", ", exemption.Matched))).Append("</td></tr>\n");
            }

            html.Append("</tbody></table>\n");
        }

        // The fix per namespace is decided once, by the audit (AuditNamespace.Fix and Remediation): a Pod Security
        // label where Set-NamespacePodSecurity applies it without -Force, else the targeted policy.
        var labelled = findings.Where(f => f.Status == "NonCompliant" && f.Fix == AuditFix.PodSecurityLabel).ToList();
        var targeted = findings.Where(f => f.Status == "NonCompliant" && f.Fix != AuditFix.PodSecurityLabel).ToList();
        html.Append("<h3>How to fix</h3>\n");
        if (labelled.Count + targeted.Count == 0)
        {
            html.Append("<p>Nothing to apply. ").Append(findings.Length > 0 ? "Conditional and unknown namespaces need a closer look: run <code>Test-NamespacePolicy -Probe</code>." : string.Empty).Append("</p>\n");
        }

        if (labelled.Count > 0)
        {
            html.Append("<p><b>Pod Security label</b> (").Append(labelled.Count.ToString(CultureInfo.InvariantCulture))
                .Append("): nothing running or templated in these namespaces violates <b>baseline</b>, so <code>Set-NamespacePodSecurity -Level Baseline</code> applies without <code>-Force</code>. Preview first (a server-side dry run); every change is recorded and undone with <code>Restore-NamespacePodSecurity</code>.</p>\n<pre><code>");
            foreach (var f in labelled)
            {
                html.Append(E(f.Remediation ?? string.Empty)).Append('\n');
            }

            html.Append("</code></pre>\n");
        }

        if (targeted.Count > 0)
        {
            html.Append("<p><b>Targeted hostNetwork policy</b> (").Append(targeted.Count.ToString(CultureInfo.InvariantCulture))
                .Append("): a Pod Security label is not the fix here (each row's Fix says why: it would refuse workloads running or templated here, or it would not be enforced), so the fix is a policy that refuses hostNetwork and nothing else, with narrow, declared exceptions. Declare (with a justification) or change the hostNetwork workloads each row's Fix names, then preview the whole cluster in one pipeline; nothing is written with <code>-WhatIf</code>, and <code>Restore-HostNetworkPolicy</code> undoes it.</p>\n<pre><code>")
                .Append(E(report.Context != Offline.EvidenceSet.OfflineContext
                    ? "Invoke-HostNetworkAudit -Context " + Audit.FixAdvisor.Quote(report.Context) + " | Set-HostNetworkPolicy -ExemptionPath ./hostnetwork-exemptions.yaml -WhatIf"
                    : "New-HostNetworkPolicyManifest -Path ./hostnetwork-policy.yaml -ExemptionPath ./hostnetwork-exemptions.yaml"))
                .Append("</code></pre>\n");
        }

        html.Append("<details><summary>All namespaces (").Append(report.Namespaces.Length.ToString(CultureInfo.InvariantCulture)).Append(")</summary>\n<table><thead><tr><th>Namespace</th><th>Status</th><th>Enforced by</th><th>Pod Security</th><th>hostNetwork pods</th></tr></thead><tbody>\n");
        foreach (var ns in report.Namespaces)
        {
            html.Append("<tr><td>").Append(E(ns.Namespace)).Append("</td><td>").Append(Status(ns.Status)).Append("</td><td>").Append(E(ns.EnforcedBy ?? ns.Justification ?? "—"))
                .Append("</td><td>").Append(E(ns.PodSecurity ?? string.Empty)).Append("</td><td class=\"num\">").Append(ns.HostNetworkPodCount.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>\n");
        }

        html.Append("</tbody></table></details>\n</section>\n");
    }

    /// <summary>A horizontal stacked bar of namespaces by status, as inline SVG with a legend.</summary>
    private static string Chart(AuditReport report)
    {
        var total = Math.Max(1, report.Summary.Namespaces);
        var svg = new StringBuilder();
        svg.Append("<svg role=\"img\" aria-label=\"Namespaces by status\" viewBox=\"0 0 400 150\" width=\"100%\" xmlns=\"http://www.w3.org/2000/svg\">");
        svg.Append("<title>Namespaces by status</title>");
        double x = 0;
        foreach (var status in ReportWriter.Statuses)
        {
            var count = ReportWriter.Count(report, status);
            if (count == 0)
            {
                continue;
            }

            var width = 400.0 * count / total;
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x:0.##}\" y=\"0\" width=\"{width:0.##}\" height=\"36\" fill=\"{StatusStyle[status].Color}\"><title>{E(StatusStyle[status].Label)}: {count}</title></rect>");
            x += width;
        }

        var row = 0;
        foreach (var status in ReportWriter.Statuses)
        {
            var count = ReportWriter.Count(report, status);
            var y = 56 + (row * 18);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"{y - 11}\" width=\"12\" height=\"12\" fill=\"{StatusStyle[status].Color}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"18\" y=\"{y}\" font-size=\"13\" fill=\"currentColor\">{E(StatusStyle[status].Label)}: {count}</text>");
            row++;
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static void Number(StringBuilder html, string label, int value) =>
        html.Append("<div><dt>").Append(E(label)).Append("</dt><dd>").Append(value.ToString(CultureInfo.InvariantCulture)).Append("</dd></div>");

    private static string Status(string status) =>
        StatusStyle.TryGetValue(status, out var style)
            ? $"<span class=\"status\" style=\"background:{style.Color}\">{E(style.Label)}</span>"
            : E(status);

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        :root { color-scheme: light dark; --fg:#1b1f24; --muted:#57606a; --bg:#ffffff; --card:#f6f8fa; --line:#d0d7de; }
        @media (prefers-color-scheme: dark) { :root { --fg:#e6edf3; --muted:#9da7b3; --bg:#0d1117; --card:#161b22; --line:#30363d; } }
        * { box-sizing: border-box; }
        body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
        header { padding: 24px 32px 12px; border-bottom: 1px solid var(--line); }
        .brand { font-weight:700; letter-spacing:.08em; text-transform:uppercase; color:var(--muted); font-size:12px; }
        h1 { margin:4px 0 6px; font-size:22px; }
        .sub { margin:0; color:var(--muted); }
        .overall { display:inline-block; margin:12px 0 0; padding:4px 12px; border-radius:14px; color:#fff; font-weight:600; }
        .overall.pass { background:#2e7d32; } .overall.fail { background:#c62828; }
        main { padding: 8px 32px 24px; max-width: 1400px; }
        .cluster { margin: 20px 0 36px; }
        .verdict { display:flex; align-items:center; gap:16px; padding:14px 18px; border-radius:10px; background:var(--card); border-left:8px solid; }
        .verdict.pass { border-color:#2e7d32; } .verdict.fail { border-color:#c62828; }
        .verdict h2 { margin:0; font-size:20px; } .verdict p { margin:2px 0 0; color:var(--muted); }
        .badge { font-size:26px; font-weight:800; padding:6px 14px; border-radius:8px; color:#fff; }
        .pass .badge { background:#2e7d32; } .fail .badge { background:#c62828; }
        .note { background:#fff8e1; color:#5d4037; border:1px solid #ffe082; padding:10px 14px; border-radius:8px; }
        @media (prefers-color-scheme: dark) { .note { background:#332b00; color:#ffe082; border-color:#665500; } }
        .grid { display:grid; grid-template-columns: minmax(260px, 420px) 1fr; gap:24px; align-items:start; margin:18px 0; }
        .numbers { display:grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap:10px; margin:0; }
        .numbers div { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:8px 12px; }
        .numbers dt { color:var(--muted); font-size:12px; } .numbers dd { margin:0; font-size:22px; font-weight:700; }
        h3 { margin:26px 0 8px; font-size:16px; }
        table { border-collapse:collapse; width:100%; font-size:13px; }
        th, td { text-align:left; vertical-align:top; padding:6px 8px; border-bottom:1px solid var(--line); }
        th { background:var(--card); position:sticky; top:0; }
        td.num { text-align:right; }
        code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12px; }
        pre { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; overflow:auto; }
        .status { color:#fff; padding:2px 8px; border-radius:10px; font-size:12px; white-space:nowrap; }
        .ok { color:#2e7d32; font-weight:600; }
        details { margin-top:18px; } summary { cursor:pointer; font-weight:600; }
        footer { padding: 16px 32px 32px; color:var(--muted); border-top:1px solid var(--line); font-size:12px; }
        @media print { th { position:static; } details { display:block; } }

        """;
}
