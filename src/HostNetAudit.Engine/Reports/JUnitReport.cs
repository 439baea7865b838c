using System.Globalization;
using System.Xml;

namespace HostNetAudit.Engine.Reports;

/// <summary>
/// JUnit XML as CI viewers read it: a testsuite per cluster, a testcase per namespace. NonCompliant and
/// Conditional are failures, Unknown is an error (it could not be verified), Exempt is skipped with its
/// justification, Compliant passes.
/// </summary>
internal static class JUnitReport
{
    public static void Write(IReadOnlyList<AuditReport> reports, Stream output)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = ReportWriter.Utf8, CloseOutput = false };
        using var xml = XmlWriter.Create(output, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("testsuites");
        xml.WriteAttributeString("name", "HostNetAudit: " + AuditReport.ControlTitle);
        xml.WriteAttributeString("tests", Number(reports.Sum(r => r.Namespaces.Length)));
        xml.WriteAttributeString("failures", Number(reports.Sum(r => r.Summary.NonCompliant + r.Summary.Conditional)));
        xml.WriteAttributeString("errors", Number(reports.Sum(r => r.Summary.Unknown)));
        xml.WriteAttributeString("skipped", Number(reports.Sum(r => r.Summary.Exempt)));
        xml.WriteAttributeString("time", "0");
        var id = 0;
        foreach (var report in reports)
        {
            xml.WriteStartElement("testsuite");
            xml.WriteAttributeString("name", $"{report.Context}: {string.Join(", ", report.Controls)}");
            xml.WriteAttributeString("tests", Number(report.Namespaces.Length));
            xml.WriteAttributeString("failures", Number(report.Summary.NonCompliant + report.Summary.Conditional));
            xml.WriteAttributeString("errors", Number(report.Summary.Unknown));
            xml.WriteAttributeString("skipped", Number(report.Summary.Exempt));
            xml.WriteAttributeString("time", "0");
            xml.WriteAttributeString("timestamp", report.GeneratedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            xml.WriteAttributeString("hostname", report.Context);
            xml.WriteAttributeString("id", Number(id++));
            xml.WriteAttributeString("package", "HostNetAudit");

            xml.WriteStartElement("properties");
            Property(xml, "result", report.Result);
            Property(xml, "controls", string.Join("; ", report.Controls));
            Property(xml, "title", report.Title);
            Property(xml, "kubernetesVersion", report.KubernetesVersion);
            Property(xml, "moduleVersion", report.ModuleVersion);
            Property(xml, "podSecurityDefaultAssumed", report.PodSecurityDefaultAssumed ? "true" : "false");
            Property(xml, "hostNetworkPods", Number(report.Summary.HostNetworkPods));
            xml.WriteEndElement();

            foreach (var ns in report.Namespaces)
            {
                xml.WriteStartElement("testcase");
                xml.WriteAttributeString("name", ns.Namespace);
                xml.WriteAttributeString("classname", "HostNetAudit." + report.Context);
                xml.WriteAttributeString("time", "0");
                var detail = Detail(ns);
                switch (ns.Status)
                {
                    case "NonCompliant":
                    case "Conditional":
                        xml.WriteStartElement("failure");
                        xml.WriteAttributeString("message", ns.Reason ?? ns.Status);
                        xml.WriteAttributeString("type", ns.Status);
                        xml.WriteString(detail);
                        xml.WriteEndElement();
                        break;
                    case "Unknown":
                        xml.WriteStartElement("error");
                        xml.WriteAttributeString("message", ns.Reason ?? "The namespace's admission policy could not be determined.");
                        xml.WriteAttributeString("type", ns.Status);
                        xml.WriteString(detail);
                        xml.WriteEndElement();
                        break;
                    case "Exempt":
                        xml.WriteStartElement("skipped");
                        xml.WriteAttributeString("message", "Exempt: " + (ns.Justification ?? string.Empty));
                        xml.WriteEndElement();
                        break;
                }

                xml.WriteElementString("system-out", detail);
                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static string Detail(AuditNamespace ns)
    {
        var lines = new List<string> { $"Status: {ns.Status}" };
        if (ns.EnforcedBy is not null)
        {
            lines.Add("Enforced by: " + ns.EnforcedBy);
        }

        if (ns.AuditOnly is not null)
        {
            lines.Add("Audit/warn only: " + ns.AuditOnly);
        }

        if (ns.PodSecurity is not null)
        {
            lines.Add($"Pod Security enforce: {ns.PodSecurity} ({ns.PodSecuritySource})");
        }

        lines.Add("hostNetwork pods: " + Number(ns.HostNetworkPodCount));
        if (ns.Reason is not null)
        {
            lines.Add("Reason: " + ns.Reason);
        }

        if (ns.Remediation is not null)
        {
            lines.Add("Fix: " + ns.Remediation);
        }

        return string.Join("\n", lines);
    }

    private static void Property(XmlWriter xml, string name, string? value)
    {
        xml.WriteStartElement("property");
        xml.WriteAttributeString("name", name);
        xml.WriteAttributeString("value", value ?? string.Empty);
        xml.WriteEndElement();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
