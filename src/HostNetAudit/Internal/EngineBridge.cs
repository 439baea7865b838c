using System.Collections.Concurrent;
using System.Management.Automation;
using HostNetAudit.Abstractions;

namespace HostNetAudit.Internal;

/// <summary>
/// Lets async engine work run off the pipeline thread while everything it reports (verbose, warnings,
/// errors, progress) is written on the pipeline thread: the engine only queues, the cmdlet drains the
/// queue while it waits.
/// </summary>
internal sealed class EngineBridge : IEngineLog
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private readonly ConcurrentQueue<Action<Cmdlet>> queue = new();
    private readonly Cmdlet cmdlet;

    public EngineBridge(Cmdlet cmdlet)
    {
        this.cmdlet = cmdlet;
    }

    public void Verbose(string message) => queue.Enqueue(c => c.WriteVerbose(message));

    public void Debug(string message) => queue.Enqueue(c => c.WriteDebug(message));

    public void Warning(string message) => queue.Enqueue(c => c.WriteWarning(message));

    public void Error(HostNetAuditException error) => queue.Enqueue(c => c.WriteError(ErrorRecords.From(error)));

    public void Progress(int activityId, string activity, string status, int percent, bool completed) =>
        queue.Enqueue(c =>
        {
            var record = new ProgressRecord(activityId, activity, string.IsNullOrEmpty(status) ? activity : status)
            {
                PercentComplete = completed ? 100 : Math.Min(100, percent),
                RecordType = completed ? ProgressRecordType.Completed : ProgressRecordType.Processing,
            };
            c.WriteProgress(record);
        });

    /// <summary>Writes what the engine queued. Pipeline thread only.</summary>
    public void Drain()
    {
        while (queue.TryDequeue(out var write))
        {
            write(cmdlet);
        }
    }

    /// <summary>Waits for a task on the pipeline thread, writing queued records meanwhile.</summary>
    public T Wait<T>(Task<T> task)
    {
        WaitCore(task);
        return task.GetAwaiter().GetResult();
    }

    public void Wait(Task task)
    {
        WaitCore(task);
        task.GetAwaiter().GetResult();
    }

    /// <summary>Enumerates an async stream on the pipeline thread.</summary>
    public IEnumerable<T> Stream<T>(IAsyncEnumerable<T> source, CancellationToken cancellationToken)
    {
        var enumerator = source.GetAsyncEnumerator(cancellationToken);
        Task<bool>? pending = null;
        try
        {
            while (true)
            {
                var moved = enumerator.MoveNextAsync();
                bool hasItem;
                if (moved.IsCompleted)
                {
                    hasItem = moved.GetAwaiter().GetResult();
                }
                else
                {
                    pending = moved.AsTask();
                    hasItem = Wait(pending);
                    pending = null;
                }

                Drain();
                if (!hasItem)
                {
                    yield break;
                }

                yield return enumerator.Current;
            }
        }
        finally
        {
            // A write that threw while a page was in flight (pipeline stopped, prompt refused) leaves
            // MoveNextAsync running: let it finish before disposing, and never mask the first exception.
            if (pending is not null)
            {
                ((IAsyncResult)pending).AsyncWaitHandle.WaitOne();
            }

            try
            {
                var disposed = enumerator.DisposeAsync();
                if (!disposed.IsCompleted)
                {
                    ((IAsyncResult)disposed.AsTask()).AsyncWaitHandle.WaitOne();
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or NotSupportedException or HostNetAuditException)
            {
                // Disposal after a failure: the failure itself is what the user sees.
            }
        }
    }

    private void WaitCore(Task task)
    {
        while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(PollInterval))
        {
            Drain();
        }

        Drain();
    }
}
