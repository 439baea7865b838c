using System.Text;
using System.Text.Json;
using HostNetAudit.Engine.Api;
using Xunit;

namespace HostNetAudit.Tests.Engine;

public class ListPageTests
{
    private static ListPage Read(string json, int page = 1) => ListPage.Read(Encoding.UTF8.GetBytes(json), page);

    private static string[] Names(ListPage page) =>
        page.Items.Select(r =>
        {
            using var document = JsonDocument.Parse(page.Bytes[r]);
            return document.RootElement.GetProperty("metadata").GetProperty("name").GetString()!;
        }).ToArray();

    [Fact]
    public void Items_are_located_in_order_with_the_continue_token()
    {
        var page = Read("""
            {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9","continue":"abc","remainingItemCount":3},
             "items":[{"metadata":{"name":"a","annotations":{"continue":"not this"}}},{"metadata":{"name":"b"},"spec":{"hostNetwork":true}}]}
            """);
        Assert.Equal(new[] { "a", "b" }, Names(page));
        Assert.Equal("abc", page.ContinueToken);
    }

    [Fact]
    public void The_last_and_no_continue_token_end_the_list()
    {
        Assert.Null(Read("""{"metadata":{},"items":[]}""").ContinueToken);
        Assert.Equal(string.Empty, Read("""{"metadata":{"continue":""},"items":null}""").ContinueToken);
        Assert.Empty(Read("""{"metadata":{"continue":7},"items":null}""").Items);
        Assert.Null(Read("""{"metadata":{"continue":7},"items":null}""").ContinueToken);
    }

    [Fact]
    public void Repeated_properties_take_the_last_as_a_JsonDocument_does()
    {
        var page = Read("""{"items":[{"metadata":{"name":"old"}}],"metadata":{"continue":"one"},"items":[{"metadata":{"name":"new"}}],"metadata":{"continue":"two"}}""");
        Assert.Equal(new[] { "new" }, Names(page));
        Assert.Equal("two", page.ContinueToken);
    }

    [Theory]
    [InlineData("""{"metadata":{}}""", "a list without items")]
    [InlineData("""{"items":{}}""", "a list whose items are an object, not an array")]
    [InlineData("""{"items":"x"}""", "a list whose items are a string, not an array")]
    [InlineData("""{"items":[{"metadata":{}},7]}""", "a list whose item 1 (page 3) is a number, not an object")]
    [InlineData("[]", "an array, not a list object")]
    [InlineData("null", "null, not a list object")]
    public void A_page_that_is_not_a_list_says_what_it_is(string json, string what)
    {
        var error = Assert.Throws<MalformedListException>(() => Read(json, 3));
        Assert.Equal(what, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"items\":[")]
    [InlineData("{\"items\":[]} {}")]
    [InlineData("{\"items\":[]}]")]
    [InlineData("<html>Bad Gateway</html>")]
    public void A_body_that_is_not_one_JSON_value_is_a_JsonException(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Read(json));
    }
}
