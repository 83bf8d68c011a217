using System.CommandLine;
using LatencyNas.Agent;

// The stand-alone agent for edge boards: the same verb as `latnas agent`, without the rest of the suite.
var root = AgentCommand.Configure(new RootCommand("latnas-agent — LatencyNas's edge measurement agent: ONNX Runtime behind GET /healthz, GET /v1/info and POST /v1/measure."));
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"latnas-agent: {error.Message}");
    }
    return 2;
}
return await parse.InvokeAsync();
