using System.Collections.Concurrent;
using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;

namespace LatencyNas.Profiling.Tests;

public class BatchPreparationTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private static readonly DeviceDescriptor Device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    private static List<ModelRequest> Requests(int count)
        => Space.SampleDistinct(count, seed: 5).Select(a => Device.RequestFor(Space, a, 0)).ToList();

    [Fact]
    public async Task Threads_that_help_prepare_each_model_once_and_the_batch_keeps_its_order()
    {
        var requests = Requests(40);
        var preparedBy = new ConcurrentDictionary<ModelRequest, int>();
        var preparation = new BatchPreparation(requests, [], request =>
        {
            preparedBy.AddOrUpdate(request, 1, (_, n) => n + 1);
            Thread.Sleep(2); // long enough that the helpers interleave
            return new PreparedModel(new OnnxModel(request, []), null);
        });
        var helper = Task.Run(() =>
        {
            while (preparation.PrepareNext())
            {
            }
        });

        var (models, failures, _) = await preparation.CompleteAsync();
        await helper;

        Assert.Equal(requests, models.Select(m => m.Request));
        Assert.Empty(failures);
        Assert.All(requests, r => Assert.Equal(1, preparedBy[r]));
        Assert.False(preparation.PrepareNext());
    }

    [Fact]
    public async Task Completing_waits_for_a_model_another_thread_is_still_preparing()
    {
        var requests = Requests(2);
        using var started = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        var preparation = new BatchPreparation(requests, [], request =>
        {
            if (request == requests[0])
            {
                started.Release();
                release.Wait();
            }
            return request == requests[1]
                ? new PreparedModel(null, ModelOutcome.Failed(request, "model preparation failed: no"))
                : new PreparedModel(new OnnxModel(request, []), null);
        });
        var slow = Task.Run(preparation.PrepareNext);
        await started.WaitAsync();

        var completing = preparation.CompleteAsync();
        await Task.Delay(50);
        Assert.False(completing.IsCompleted); // the first model is still being prepared
        release.Release();
        var (models, failures, _) = await completing;

        Assert.True(await slow);
        Assert.Equal([requests[0]], models.Select(m => m.Request));
        Assert.Equal("model preparation failed: no", Assert.Single(failures).Failure);
    }

    [Fact]
    public async Task The_batch_prepares_its_references_with_it_and_a_reference_that_fails_is_left_out_not_failed()
    {
        var requests = Requests(5);
        var (own, references) = (requests[..3], requests[3..]);
        var prepared = new ConcurrentBag<ModelRequest>();
        var preparation = new BatchPreparation(own, references, request =>
        {
            prepared.Add(request);
            return request == references[1]
                ? new PreparedModel(null, ModelOutcome.Failed(request, "model preparation failed: no"))
                : new PreparedModel(new OnnxModel(request, []), null);
        });

        var (models, failures, referenceModels) = await preparation.CompleteAsync();

        Assert.Equal(own, models.Select(m => m.Request));
        Assert.Empty(failures);
        Assert.Equal([references[0]], referenceModels.Select(m => m.Request));
        Assert.Equal(requests.ToHashSet(), prepared.ToHashSet());
        Assert.Equal(own, preparation.Requests);
    }

    [Fact]
    public async Task An_empty_batch_is_complete_at_once()
    {
        var (models, failures, _) = await new BatchPreparation([], [], _ => throw new InvalidOperationException("nothing to prepare")).CompleteAsync();
        Assert.Empty(models);
        Assert.Empty(failures);
    }
}
