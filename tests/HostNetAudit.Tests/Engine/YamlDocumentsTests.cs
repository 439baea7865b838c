using System.Text.Json.Nodes;
using HostNetAudit.Engine.Offline;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class YamlDocumentsTests
{
    [Fact]
    public void Resolves_plain_scalars_as_Kubernetes_does_and_keeps_quoted_ones_as_strings()
    {
        var doc = YamlDocuments.Read("""
            a: true
            b: "true"
            c: yes
            d: 8080
            e: '8080'
            f: 0644
            g: 1.5
            h: ~
            i: v1.31
            j: off
            """).Single();
        var node = doc.Node!.AsObject();
        Assert.True(node["a"]!.GetValue<bool>());
        Assert.Equal("true", node["b"]!.GetValue<string>());
        Assert.True(node["c"]!.GetValue<bool>());
        Assert.Equal(8080, node["d"]!.GetValue<long>());
        Assert.Equal("8080", node["e"]!.GetValue<string>());
        Assert.Equal(420, node["f"]!.GetValue<long>());
        Assert.Equal(1.5, node["g"]!.GetValue<double>());
        Assert.Null(node["h"]);
        Assert.Equal("v1.31", node["i"]!.GetValue<string>());
        Assert.False(node["j"]!.GetValue<bool>());
    }

    [Fact]
    public void Reads_every_document_and_reports_a_malformed_one_by_index_and_line()
    {
        var docs = YamlDocuments.Read("""
            # leading comment
            ---
            kind: A
            ---
            kind: B
            spec: {{ .Values.spec }}
              bad: [
            ---
            kind: C
            """).ToList();
        Assert.Equal(3, docs.Count);
        Assert.Equal("A", docs[0].Node!["kind"]!.GetValue<string>());
        Assert.Null(docs[1].Node);
        Assert.Equal(2, docs[1].Index);
        Assert.Contains("line", docs[1].Error, StringComparison.Ordinal);
        Assert.Equal("C", docs[2].Node!["kind"]!.GetValue<string>());
    }

    [Fact]
    public void Valid_yaml_that_merely_contains_template_braces_in_strings_parses()
    {
        var doc = YamlDocuments.Read("""
            message: "{{ request.object.metadata.name }} is not allowed"
            deny: '{{ request.object.spec.hostNetwork || `false` }}'
            """).Single();
        Assert.Null(doc.Error);
        Assert.Contains("{{", doc.Node!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Expands_anchors_aliases_and_merge_keys()
    {
        var doc = YamlDocuments.Read("""
            base: &b {x: 1, y: 2}
            copy: *b
            merged:
              <<: *b
              y: 3
            """).Single();
        var node = doc.Node!.AsObject();
        Assert.Equal(1, node["copy"]!["x"]!.GetValue<long>());
        Assert.Equal(3, node["merged"]!["y"]!.GetValue<long>());
        Assert.Equal(1, node["merged"]!["x"]!.GetValue<long>());
    }

    [Fact]
    public void Ignores_empty_documents_and_comment_only_ones()
    {
        Assert.Empty(YamlDocuments.Read("---\n# nothing\n---\n\n"));
    }

    [Fact]
    public void Parses_json_flow_documents()
    {
        var doc = YamlDocuments.Read("{\"kind\": \"Pod\", \"spec\": {\"hostNetwork\": true}}").Single();
        Assert.True(doc.Node!["spec"]!["hostNetwork"]!.GetValue<bool>());
        Assert.IsType<JsonObject>(doc.Node);
    }
}
