using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace HostNetAudit.Simulator.Admission;

/// <summary>
/// The PodSecurity plugin's configuration, as an AdmissionConfiguration gives it to the apiserver
/// (pod-security.admission.config.k8s.io PodSecurityConfiguration): the levels and versions of namespaces
/// without labels, and the exempt usernames, runtime classes and namespaces.
/// </summary>
public sealed class PodSecurityConfiguration
{
    public PodSecurityDefaults Defaults { get; set; } = new();

    public PodSecurityExemptions Exemptions { get; set; } = new();

    /// <summary>The defaults as a policy (the configuration must be valid: see <see cref="Validate"/>).</summary>
    [JsonIgnore]
    public PodSecurityPolicy DefaultPolicy => new(
        new LevelVersion(Defaults.Enforce, ParseVersion(Defaults.EnforceVersion)),
        new LevelVersion(Defaults.Audit, ParseVersion(Defaults.AuditVersion)),
        new LevelVersion(Defaults.Warn, ParseVersion(Defaults.WarnVersion)));

    public bool IsExemptNamespace(string? ns) => !string.IsNullOrEmpty(ns) && Exemptions.Namespaces.Contains(ns, StringComparer.Ordinal);

    public bool IsExemptUser(string? user) => !string.IsNullOrEmpty(user) && Exemptions.Usernames.Contains(user, StringComparer.Ordinal);

    public bool IsExemptRuntimeClass(string? runtimeClass) => !string.IsNullOrEmpty(runtimeClass) && Exemptions.RuntimeClasses.Contains(runtimeClass, StringComparer.Ordinal);

    /// <summary>Throws <see cref="ArgumentException"/> naming every invalid field, as the apiserver refuses to start with them.</summary>
    public void Validate()
    {
        var errors = new List<string>();
        void Level(string field, string value)
        {
            if (!PodSecurity.Levels.Contains(value, StringComparer.Ordinal))
            {
                errors.Add($"defaults.{field}: Invalid value: {PodSecurity.GoQuote(value)}: must be one of privileged, baseline, restricted");
            }
        }

        void Version(string field, string value)
        {
            if (!PodSecurityVersion.TryParse(value, out _))
            {
                errors.Add($"defaults.{field}: Invalid value: {PodSecurity.GoQuote(value)}: must be \"latest\" or \"v1.x\"");
            }
        }

        void Names(string field, List<string> values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(values[i]))
                {
                    errors.Add($"exemptions.{field}[{i.ToString(CultureInfo.InvariantCulture)}]: Invalid value: {PodSecurity.GoQuote(values[i] ?? string.Empty)}: must be non-empty");
                }
                else if (values.IndexOf(values[i]) != i)
                {
                    errors.Add($"exemptions.{field}[{i.ToString(CultureInfo.InvariantCulture)}]: Duplicate value: {PodSecurity.GoQuote(values[i])}");
                }
            }
        }

        Level("enforce", Defaults.Enforce);
        Version("enforce-version", Defaults.EnforceVersion);
        Level("audit", Defaults.Audit);
        Version("audit-version", Defaults.AuditVersion);
        Level("warn", Defaults.Warn);
        Version("warn-version", Defaults.WarnVersion);
        Names("usernames", Exemptions.Usernames);
        Names("runtimeClasses", Exemptions.RuntimeClasses);
        Names("namespaces", Exemptions.Namespaces);
        if (errors.Count > 0)
        {
            throw new ArgumentException("invalid PodSecurity configuration: " + string.Join("; ", errors));
        }
    }

    /// <summary>
    /// Reads a PodSecurityConfiguration (or the PodSecurity plugin of an AdmissionConfiguration, or just
    /// {"defaults": ..., "exemptions": ...}) from JSON. Unset defaults are privileged/latest, as in the
    /// apiserver. Throws <see cref="ArgumentException"/> for anything the apiserver would refuse.
    /// </summary>
    public static PodSecurityConfiguration FromJson(JsonNode? node)
    {
        if (node is not JsonObject root)
        {
            throw new ArgumentException("a PodSecurity configuration must be a JSON object");
        }

        var kind = Json.String(root["kind"]);
        if (kind == "AdmissionConfiguration")
        {
            var plugin = (root["plugins"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().FirstOrDefault(p => Json.String(p["name"]) == "PodSecurity")
                ?? throw new ArgumentException("the AdmissionConfiguration has no PodSecurity plugin");
            if (plugin["configuration"] is not JsonObject configuration)
            {
                throw new ArgumentException("the PodSecurity plugin of the AdmissionConfiguration must carry its configuration inline (a path is not followed)");
            }

            root = configuration;
            kind = Json.String(root["kind"]);
        }

        if (kind is not null && kind != "PodSecurityConfiguration")
        {
            throw new ArgumentException($"expected a PodSecurityConfiguration or an AdmissionConfiguration, not {kind}");
        }

        var result = new PodSecurityConfiguration();
        if (root["defaults"] is JsonObject defaults)
        {
            string Read(string key, string fallback) =>
                Json.String(defaults[key]) ?? Json.String(defaults[Camel(key)]) ?? fallback;
            result.Defaults = new PodSecurityDefaults
            {
                Enforce = Read("enforce", PodSecurity.LevelPrivileged),
                EnforceVersion = Read("enforce-version", "latest"),
                Audit = Read("audit", PodSecurity.LevelPrivileged),
                AuditVersion = Read("audit-version", "latest"),
                Warn = Read("warn", PodSecurity.LevelPrivileged),
                WarnVersion = Read("warn-version", "latest"),
            };
        }
        else if (root["defaults"] is not null)
        {
            throw new ArgumentException("defaults must be an object");
        }

        if (root["exemptions"] is JsonObject exemptions)
        {
            result.Exemptions = new PodSecurityExemptions
            {
                Usernames = Json.Strings(exemptions["usernames"]).ToList(),
                RuntimeClasses = Json.Strings(exemptions["runtimeClasses"]).ToList(),
                Namespaces = Json.Strings(exemptions["namespaces"]).ToList(),
            };
        }
        else if (root["exemptions"] is not null)
        {
            throw new ArgumentException("exemptions must be an object");
        }

        result.Validate();
        return result;
    }

    /// <summary>
    /// Applies the simulator's command-line options for PSA (--psa-config file.json, --psa-default-enforce
    /// baseline, --psa-default-enforce-version v1.30, ... audit, warn, --psa-exempt-namespaces a,b,
    /// --psa-exempt-usernames, --psa-exempt-runtime-classes). Throws <see cref="ArgumentException"/>.
    /// </summary>
    public static PodSecurityConfiguration FromCommandLine(IReadOnlyDictionary<string, string> options, PodSecurityConfiguration current)
    {
        var result = current;
        if (options.TryGetValue("psa-config", out var path))
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"cannot read --psa-config {path}: {ex.Message}", ex);
            }

            try
            {
                result = FromJson(JsonNode.Parse(text));
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new ArgumentException($"--psa-config {path} is not JSON (convert a YAML AdmissionConfiguration to JSON first): {ex.Message}", ex);
            }
        }

        var defaults = new PodSecurityDefaults
        {
            Enforce = options.GetValueOrDefault("psa-default-enforce", result.Defaults.Enforce),
            EnforceVersion = options.GetValueOrDefault("psa-default-enforce-version", result.Defaults.EnforceVersion),
            Audit = options.GetValueOrDefault("psa-default-audit", result.Defaults.Audit),
            AuditVersion = options.GetValueOrDefault("psa-default-audit-version", result.Defaults.AuditVersion),
            Warn = options.GetValueOrDefault("psa-default-warn", result.Defaults.Warn),
            WarnVersion = options.GetValueOrDefault("psa-default-warn-version", result.Defaults.WarnVersion),
        };
        List<string> List(string key, List<string> fallback) =>
            options.TryGetValue(key, out var value) ? value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList() : fallback;
        var configured = new PodSecurityConfiguration
        {
            Defaults = defaults,
            Exemptions = new PodSecurityExemptions
            {
                Namespaces = List("psa-exempt-namespaces", result.Exemptions.Namespaces),
                Usernames = List("psa-exempt-usernames", result.Exemptions.Usernames),
                RuntimeClasses = List("psa-exempt-runtime-classes", result.Exemptions.RuntimeClasses),
            },
        };
        configured.Validate();
        return configured;
    }

    private static string Camel(string key)
    {
        var dash = key.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? key : key[..dash] + char.ToUpperInvariant(key[dash + 1]) + key[(dash + 2)..];
    }

    private static PodSecurityVersion ParseVersion(string text) => PodSecurityVersion.TryParse(text, out var version) ? version : PodSecurityVersion.Latest;
}

/// <summary>The levels and versions that apply where a namespace has no label (the apiserver's defaults).</summary>
public sealed class PodSecurityDefaults
{
    public string Enforce { get; set; } = PodSecurity.LevelPrivileged;

    [JsonPropertyName("enforce-version")]
    public string EnforceVersion { get; set; } = "latest";

    public string Audit { get; set; } = PodSecurity.LevelPrivileged;

    [JsonPropertyName("audit-version")]
    public string AuditVersion { get; set; } = "latest";

    public string Warn { get; set; } = PodSecurity.LevelPrivileged;

    [JsonPropertyName("warn-version")]
    public string WarnVersion { get; set; } = "latest";
}

/// <summary>Who and what PSA never evaluates.</summary>
public sealed class PodSecurityExemptions
{
    /// <summary>Authenticated usernames whose requests are exempt.</summary>
    public List<string> Usernames { get; set; } = new();

    /// <summary>Pods with one of these spec.runtimeClassName values are exempt.</summary>
    public List<string> RuntimeClasses { get; set; } = new();

    /// <summary>Namespaces where PSA neither enforces nor warns.</summary>
    public List<string> Namespaces { get; set; } = new();
}

/// <summary>The simulator program's --psa-* arguments.</summary>
public static class PodSecurityCommandLine
{
    /// <summary>Applies --psa-* arguments to the options; throws <see cref="ArgumentException"/> naming a bad one.</summary>
    public static void Apply(IReadOnlyDictionary<string, string> arguments, SimulatorOptions options)
    {
        options.PodSecurity = PodSecurityConfiguration.FromCommandLine(arguments, options.PodSecurity);
        if (arguments.TryGetValue("psa-admission", out var admission))
        {
            options.PodSecurityAdmission = admission switch
            {
                "on" or "true" => true,
                "off" or "false" => false,
                _ => throw new ArgumentException($"--psa-admission takes on or off, not '{admission}'"),
            };
        }

        if (arguments.TryGetValue("psa-existing-pod-limit", out var limit))
        {
            options.ExistingPodCheckLimit = Number("psa-existing-pod-limit", limit);
        }

        if (arguments.TryGetValue("psa-existing-pod-timeout-ms", out var timeout))
        {
            options.ExistingPodCheckTimeoutMilliseconds = Number("psa-existing-pod-timeout-ms", timeout);
        }
    }

    private static int Number(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"--{name} takes a whole number, not '{text}'");
}
