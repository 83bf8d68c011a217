using LatencyNas.Workflows;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;

namespace LatencyNas.Web.Tests;

/// <summary>
/// The workbench in memory, for the API tests: <see cref="Workbench.Build"/> itself — every route, middleware and option as
/// <c>latnas serve</c> has them — with ASP.NET Core's <see cref="TestServer"/> in Kestrel's place, so no port is opened and
/// <see cref="WebApplicationFactory{TEntryPoint}.CreateClient()"/> sends its requests straight to the application.
/// </summary>
/// <remarks>
/// The workbench is built by a library, not by a program's entry point, so the factory is not left to find one: it is
/// handed a host builder it never builds (<see cref="CreateHostBuilder"/>) and gets the built and started workbench from
/// <see cref="CreateHost"/>, which the factory reads its <see cref="TestServer"/> from and stops and disposes with itself.
/// What the factory sets up on the builder it is handed (a content root found beside the solution, its own UseTestServer)
/// is dropped with that builder: the workbench sets its content root itself and reads nothing from it (the page and the
/// chart library are embedded in the web assembly). The type argument is this class because the factory requires an
/// assembly with an entry point and a deps file: the test assembly has both (the test SDK's generated program), the web
/// library neither.
/// </remarks>
public sealed class WorkbenchFactory(WorkbenchOptions options) : WebApplicationFactory<WorkbenchFactory>
{
    public WorkbenchFactory(StoreLocation store)
        : this(new WorkbenchOptions { Store = store })
    {
    }

    protected override IHostBuilder CreateHostBuilder() => new HostBuilder();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        var app = Workbench.Build(options, web => web.UseTestServer());
        app.Start();
        return app;
    }
}
