using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using HostNetAudit.Abstractions;
using HostNetAudit.Engine;
using HostNetAudit.Engine.Api;
using HostNetAudit.Simulator.Infrastructure;
using HostNetAudit.Simulator.Scenarios;
using HostNetAudit.Tests.Support;
using Xunit;

namespace HostNetAudit.Tests.Engine;

/// <summary>The request pipeline's handlers (retry and its per-cluster backoff gate), and answers that are not lists.</summary>
public sealed class ApiPipelineTests
{
    /// <summary>Answers each path from a script (429 with Retry-After, 503, then 200) and records when each attempt arrived.</summary>
    private sealed class ScriptedServer : HttpMessageHandler
    {
        private readonly ConcurrentDictionary<string, ConcurrentQueue<HttpStatusCode>> scripts = new();

        public ConcurrentQueue<(string Path, long Timestamp)> Arrivals { get; } = new();

        public TaskCompletionSource<long> Refused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Script(string path, params HttpStatusCode[] answers) => scripts[path] = new ConcurrentQueue<HttpStatusCode>(answers);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            var now = Stopwatch.GetTimestamp();
            Arrivals.Enqueue((path, now));
            var status = scripts.TryGetValue(path, out var script) && script.TryDequeue(out var next) ? next : HttpStatusCode.OK;
            var response = new HttpResponseMessage(status) { Content = new StringContent("{}") };
            if (status == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
                Refused.TrySetResult(now);
            }

            return Task.FromResult(response);
        }
    }

    /// <summary>Signals the first retry line: the retry handler has decided (and closed the gate, for a 429).</summary>
    private sealed class RetryLog : IEngineLog
    {
        public TaskCompletionSource Retrying { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Verbose(string message)
        {
            if (message.Contains(": retry ", StringComparison.Ordinal))
            {
                Retrying.TrySetResult();
            }
        }

        public void Debug(string message)
        {
        }

        public void Warning(string message)
        {
        }

        public void Error(HostNetAuditException error)
        {
        }

        public void Progress(int activityId, string activity, string status, int percent, bool completed)
        {
        }
    }

    private static HttpRequestMessage Message(string path)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, "https://cluster.example" + path);
        new ApiExchange(new ApiRequest(HttpMethod.Get, path, "ListPods", "list", "pods"), null).AttachTo(message);
        return message;
    }

    private static HttpMessageInvoker Pipeline(ScriptedServer server, RetryPolicy policy, IEngineLog? log = null) =>
        new(new RetryHandler(policy, new BackoffGate(), log ?? NullEngineLog.Instance, "sim") { InnerHandler = server });

    [Fact]
    public async Task A_429_with_Retry_After_holds_every_request_to_the_cluster_until_it_ends()
    {
        var server = new ScriptedServer();
        server.Script("/a", HttpStatusCode.TooManyRequests);
        var log = new RetryLog();
        using var pipeline = Pipeline(server, new RetryPolicy(3, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5)), log);
        using var first = Message("/a");
        var a = pipeline.SendAsync(first, CancellationToken.None);
        var refusedAt = await server.Refused.Task;
        await log.Retrying.Task;
        using var second = Message("/b");
        using var b = await pipeline.SendAsync(second, CancellationToken.None);
        using var retried = await a;

        Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var afterRefusal = server.Arrivals.Where(x => x.Timestamp > refusedAt).ToList();
        Assert.Equal(new[] { "/a", "/b" }, afterRefusal.Select(x => x.Path).Order(StringComparer.Ordinal));
        Assert.All(afterRefusal, x => Assert.True(Stopwatch.GetElapsedTime(refusedAt, x.Timestamp) >= TimeSpan.FromMilliseconds(950), $"{x.Path} was sent {Stopwatch.GetElapsedTime(refusedAt, x.Timestamp).TotalMilliseconds:0} ms after the 429"));
    }

    [Fact]
    public async Task A_5xx_backs_off_only_its_own_request()
    {
        var server = new ScriptedServer();
        server.Script("/a", HttpStatusCode.ServiceUnavailable);
        var log = new RetryLog();
        using var pipeline = Pipeline(server, new RetryPolicy(3, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)), log);
        using var first = Message("/a");
        var a = pipeline.SendAsync(first, CancellationToken.None);
        await log.Retrying.Task;

        using var second = Message("/b");
        using var b = await pipeline.SendAsync(second, CancellationToken.None);
        Assert.Equal(new[] { "/a", "/b" }, server.Arrivals.Select(x => x.Path));
        using var retried = await a;
        Assert.Equal(new[] { "/a", "/b", "/a" }, server.Arrivals.Select(x => x.Path));
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_answer_is_returned()
    {
        var server = new ScriptedServer();
        server.Script("/a", HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway, HttpStatusCode.BadGateway);
        using var pipeline = Pipeline(server, new RetryPolicy(3, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5)));
        using var message = Message("/a");
        using var response = await pipeline.SendAsync(message, CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(3, server.Arrivals.Count);
        Assert.Equal(3, ApiExchange.Of(message).Attempts);
    }

    [Theory]
    [InlineData("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{}}", "without items")]
    [InlineData("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":{}}", "whose items are an object, not an array")]
    [InlineData("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[\"kube-proxy\"]}", "whose item 0 (page 1) is a string, not an object")]
    [InlineData("null", "with null, not a list object")]
    public async Task A_list_answer_that_is_not_a_list_is_InvalidApiResponse_never_an_empty_result(string body, string what)
    {
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Demo());
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Body, StatusCode = 200, Body = body, Resource = "pods", Times = 0 });
        var log = new RecordingLog();
        using var session = new ClusterSession(host.Api(log), log);
        var error = await Assert.ThrowsAsync<KubeApiException>(async () =>
        {
            await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None))
            {
            }
        });
        Assert.Equal("InvalidApiResponse", error.ErrorId);
        Assert.Equal(FailureCategory.InvalidData, error.Category);
        Assert.Contains("the list of pods (/api/v1/pods) with", error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_string_in_the_namespace_list_is_InvalidApiResponse_naming_the_list()
    {
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Demo());
        host.Cluster.Faults.Add(new FaultRule
        {
            Kind = FaultKind.Body,
            StatusCode = 200,
            Body = "{\"kind\":\"NamespaceList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[{\"metadata\":{\"name\":\"default\"}},\"kube-system\"]}",
            Resource = "namespaces",
            Verb = "list",
        });
        using var session = new ClusterSession(host.Api(), NullEngineLog.Instance);
        var error = await Assert.ThrowsAsync<KubeApiException>(() => session.PodSecurity.ListNamespacesAsync(CancellationToken.None));
        Assert.Equal("InvalidApiResponse", error.ErrorId);
        Assert.Equal("namespaces", error.Target);
        Assert.Contains("answered the list of namespaces (/api/v1/namespaces) with a list whose item 1 (page 1) is a string, not an object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Items_null_is_an_empty_list()
    {
        await using var host = await SimHost.StartAsync(ScenarioCatalog.Demo());
        host.Cluster.Faults.Add(new FaultRule { Kind = FaultKind.Body, StatusCode = 200, Body = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":null}", Resource = "pods" });
        using var session = new ClusterSession(host.Api(), NullEngineLog.Instance);
        var pods = new List<HostNetworkPod>();
        await foreach (var pod in session.GetHostNetworkPodsAsync(new PodQuery(), CancellationToken.None))
        {
            pods.Add(pod);
        }

        Assert.Empty(pods);
    }
}
