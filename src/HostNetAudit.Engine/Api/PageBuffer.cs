namespace HostNetAudit.Engine.Api;

/// <summary>
/// One growable buffer a paged listing reads every page into, so that a long listing holds one page-sized
/// array for its whole length instead of renting and returning a new one per page (which, across the
/// thread pool's threads, leaves a copy behind in each thread's share of the shared pool). A document
/// parsed from it is valid until the next page is read.
/// </summary>
internal sealed class PageBuffer
{
    private byte[] bytes = new byte[64 * 1024];

    /// <summary>Reads the whole stream; the returned memory is valid until the next read.</summary>
    public async Task<ReadOnlyMemory<byte>> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            if (length == bytes.Length)
            {
                Array.Resize(ref bytes, bytes.Length * 2);
            }

            var read = await stream.ReadAsync(bytes.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return bytes.AsMemory(0, length);
            }

            length += read;
        }
    }
}
