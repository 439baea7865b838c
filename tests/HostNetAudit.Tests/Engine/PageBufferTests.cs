using HostNetAudit.Engine.Api;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class PageBufferTests
{
    [Fact]
    public async Task Reads_pages_larger_and_smaller_than_before_into_the_same_buffer()
    {
        var buffer = new PageBuffer();
        var large = Enumerable.Range(0, 300_000).Select(i => (byte)(i % 251)).ToArray();
        var first = await buffer.ReadAsync(new MemoryStream(large), CancellationToken.None);
        Assert.Equal(large, first.ToArray());

        var small = new byte[] { 1, 2, 3 };
        var second = await buffer.ReadAsync(new MemoryStream(small), CancellationToken.None);
        Assert.Equal(small, second.ToArray());
        Assert.Equal(0, (await buffer.ReadAsync(new MemoryStream(), CancellationToken.None)).Length);
    }
}
