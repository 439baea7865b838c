namespace HostNetAudit.Engine.Api;

/// <summary>
/// One API call as the request pipeline's handlers see it (carried in the request's Options): what it is for,
/// for messages and error IDs; how a successful answer's body is read, inside each attempt, so that the timeout
/// covers the body and a connection broken while it streams is retried like any reset; and what came back.
/// </summary>
internal sealed class ApiExchange
{
    private static readonly HttpRequestOptionsKey<ApiExchange> Key = new("HostNetAudit.ApiExchange");

    public ApiExchange(ApiRequest request, Func<Stream, CancellationToken, Task>? readBody)
    {
        Request = request;
        ReadBody = readBody;
    }

    public ApiRequest Request { get; }

    /// <summary>Reads a 2xx body as it streams in (null: the body is buffered into <see cref="Body"/>).</summary>
    public Func<Stream, CancellationToken, Task>? ReadBody { get; }

    /// <summary>The buffered body of the last attempt (empty when <see cref="ReadBody"/> took it).</summary>
    public byte[] Body { get; set; } = Array.Empty<byte>();

    /// <summary>Bytes of the last attempt's body, as they came over the wire.</summary>
    public long BodyBytes { get; set; }

    /// <summary>Attempts made so far (1 for the first).</summary>
    public int Attempts { get; set; }

    public void AttachTo(HttpRequestMessage message) => message.Options.Set(Key, this);

    public static ApiExchange Of(HttpRequestMessage message) =>
        message.Options.TryGetValue(Key, out var exchange) ? exchange : throw new InvalidOperationException("The request was not sent by KubeApiClient.");

    /// <summary>"GET /api/v1/pods" (without the query), for messages.</summary>
    public string Describe() => Request.Method + " " + PathOnly(Request.Path);

    public static string PathOnly(string path)
    {
        var query = path.IndexOf('?', StringComparison.Ordinal);
        return query < 0 ? path : path[..query];
    }
}
