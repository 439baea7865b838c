namespace HostNetAudit;

/// <summary>One container of a pod or pod template.</summary>
public sealed class ContainerSummary
{
    public string Name { get; set; } = string.Empty;

    /// <summary>Container, InitContainer or EphemeralContainer.</summary>
    public string Type { get; set; } = "Container";

    public string? Image { get; set; }

    /// <summary>securityContext.privileged is true.</summary>
    public bool Privileged { get; set; }

    /// <summary>"name", "init:name" or "ephemeral:name", as the table views show it.</summary>
    public override string ToString() => Type switch
    {
        "InitContainer" => "init:" + Name,
        "EphemeralContainer" => "ephemeral:" + Name,
        _ => Name,
    };
}

/// <summary>A port bound on the node.</summary>
public sealed class HostPortBinding
{
    public int Port { get; set; }

    public string Protocol { get; set; } = "TCP";

    public string Container { get; set; } = string.Empty;

    /// <summary>True when hostPort is written in the spec; false when the apiserver defaults it to the
    /// containerPort, as it does for every port of a hostNetwork pod.</summary>
    public bool Declared { get; set; }

    public override string ToString() => Port.ToString(System.Globalization.CultureInfo.InvariantCulture) + "/" + Protocol;
}
