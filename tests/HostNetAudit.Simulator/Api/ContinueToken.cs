using System.Text;
using System.Text.Json;

namespace HostNetAudit.Simulator.Api;

/// <summary>The apiserver's continue token: base64 of {"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}.</summary>
public static class ContinueToken
{
    public static string Encode(long resourceVersion, string startKey)
    {
        var json = JsonSerializer.Serialize(new Dictionary<string, object> { ["v"] = "meta.k8s.io/v1", ["rv"] = resourceVersion, ["start"] = startKey + "\u0000" });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryDecode(string token, out long resourceVersion, out string startKey)
    {
        resourceVersion = 0;
        startKey = string.Empty;
        try
        {
            var text = token.Replace('-', '+').Replace('_', '/');
            text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
            using var document = JsonDocument.Parse(Convert.FromBase64String(text));
            var root = document.RootElement;
            if (root.GetProperty("v").GetString() != "meta.k8s.io/v1")
            {
                return false;
            }

            resourceVersion = root.GetProperty("rv").GetInt64();
            startKey = root.GetProperty("start").GetString()!.TrimEnd('\u0000');
            return true;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}
