using System.Net;
using LatencyNas.Core;
using LatencyNas.Tests;
using LatencyNas.Workflows;
using Microsoft.AspNetCore.Mvc.Testing;

namespace LatencyNas.Web.Tests;

/// <summary>Beyond loopback the workbench needs a token, and then answers only to its holders.</summary>
public sealed class WorkbenchOptionsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Listening_beyond_loopback_without_a_token_on_a_bad_address_or_taking_no_model_is_refused()
    {
        var store = new StoreLocation(_directory.File("latnas.db"));
        Assert.Empty(new WorkbenchOptions { Store = store }.Problems());
        Assert.Empty(new WorkbenchOptions { Store = store, Url = "http://[::1]:5090" }.Problems());
        Assert.Contains("token", Assert.Single(new WorkbenchOptions { Store = store, Url = "http://0.0.0.0:5090" }.Problems()));
        Assert.Empty(new WorkbenchOptions { Store = store, Url = "http://0.0.0.0:5090", Token = "a-token-of-enough-length" }.Problems());
        Assert.Single(new WorkbenchOptions { Store = store, Url = "ftp://127.0.0.1:5090" }.Problems());
        Assert.Single(new WorkbenchOptions { Store = store, Url = "http://127.0.0.1:5090", Token = "short" }.Problems());
        Assert.Contains("model size limit", Assert.Single(new WorkbenchOptions { Store = store, ModelSizeLimit = 0 }.Problems()));
        Assert.Throws<InvalidInputException>(() => Workbench.Build(new WorkbenchOptions { Store = store, Url = "http://0.0.0.0:5090" }));
    }

    [Fact]
    public async Task With_a_token_only_its_holders_are_answered_and_a_browser_keeps_it_in_a_cookie()
    {
        const string token = "a-token-of-enough-length";
        var store = new StoreLocation(_directory.File("latnas.db"));
        store.OpenOrCreate().Dispose(); // an empty store: what is asked does not matter here, only who asks
        await using var factory = new WorkbenchFactory(new WorkbenchOptions { Store = store, Token = token });
        using var http = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

        using (var anonymous = await http.GetAsync("/api/devices"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/devices"))
        {
            wrong.Headers.Authorization = new("Bearer", "not-the-token-at-all");
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(wrong)).StatusCode);
        }
        using (var bearer = new HttpRequestMessage(HttpMethod.Get, "/api/devices"))
        {
            bearer.Headers.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(bearer)).StatusCode);
        }
        using (var link = await http.GetAsync($"/?token={token}"))
        {
            Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
            Assert.Equal("/", link.Headers.Location!.OriginalString);
        }
        using (var withCookie = await http.GetAsync("/api/devices"))
        {
            Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        }
    }
}
