using System.Runtime.ExceptionServices;

namespace HostNetAudit.Engine;

/// <summary>
/// Waits for requests sent together. Every task is awaited to its end (none is left running unobserved after its
/// caller gave up), then the first failure in the given order is thrown as it was thrown: a real error before a
/// cancellation that it caused, so the same failure is reported whichever request happened to finish first.
/// </summary>
internal static class Concurrent
{
    public static async Task WhenAllAsync(params Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Task.WhenAll throws whichever failure it saw first; pick by order instead.
        }

        var failed = tasks.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException)
            ?? tasks.FirstOrDefault(t => t.IsFaulted || t.IsCanceled);
        if (failed is null)
        {
            return;
        }

        if (failed.IsCanceled)
        {
            await failed.ConfigureAwait(false); // throws the TaskCanceledException with its token
        }

        ExceptionDispatchInfo.Capture(failed.Exception!.InnerException!).Throw();
    }
}
