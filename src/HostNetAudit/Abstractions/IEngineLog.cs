namespace HostNetAudit.Abstractions;

/// <summary>
/// Where the engine reports what it does. Implementations are thread-safe and only queue: the cmdlet
/// writes the queued records on the pipeline thread.
/// </summary>
internal interface IEngineLog
{
    /// <summary>One line per API call or decision.</summary>
    void Verbose(string message);

    /// <summary>Internals.</summary>
    void Debug(string message);

    /// <summary>What was skipped or may be incomplete.</summary>
    void Warning(string message);

    /// <summary>A non-terminating error: one item failed, the rest goes on.</summary>
    void Error(HostNetAuditException error);

    /// <summary>Progress of long work; <paramref name="percent"/> -1 when unknown, completed ends the bar.</summary>
    void Progress(int activityId, string activity, string status, int percent, bool completed);
}

/// <summary>A log that drops everything (engine tests, background helpers).</summary>
internal sealed class NullEngineLog : IEngineLog
{
    public static readonly NullEngineLog Instance = new();

    public void Verbose(string message)
    {
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
