using LatencyNas.Core.Measurements;
using LatencyNas.Core.Spaces.Nb201;
using LatencyNas.Profiling.Devices;
using LatencyNas.Profiling.Runners;
using LatencyNas.Tests;
using LatencyNas.Torch.Networks;

namespace LatencyNas.Profiling.Tests.Runners;

/// <summary>The ONNX Runtime runner on real sessions of real exports.</summary>
public class OrtRunnerTests
{
    private static readonly Nb201Space Space = Nb201Space.Instance;
    private readonly DeviceDescriptor _device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    [Fact]
    public async Task The_session_made_by_the_preparation_is_measured_once_and_a_retried_batch_loads_the_model_afresh()
    {
        await using var runner = new OrtRunner(_device, TorchOnnxModelSource.Instance);
        using var prepared = (PreparedOrtSession)runner.Prepare(_device.RequestFor(Space, Space.Parse("123123"), 0));

        using (var first = prepared.Take())
        using (var second = prepared.Take())
        {
            Assert.NotSame(first, second);
            Assert.True(first.TimeOneRunMs() > 0);
            Assert.True(second.TimeOneRunMs() > 0);
        }
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var outcome = Assert.Single(await runner.MeasureAsync([prepared], TestProtocols.Quick, CancellationToken.None));
            Assert.Null(outcome.Failure);
            Assert.True(outcome.Measurement!.Statistics.LatencyMs > 0);
        }
    }

    [Theory]
    [InlineData(1, 2, false)] // this machine: the one free core is the load's too
    [InlineData(1, 4, true)]
    [InlineData(2, 4, true)]
    [InlineData(3, 4, false)]
    [InlineData(4, 4, false)]
    public void The_next_batch_is_prepared_beside_a_measurement_only_where_two_cores_are_left(int threads, int cores, bool beside)
        => Assert.Equal(beside, OrtRunner.LeavesCoresToPrepareOn(threads, cores));

    [Fact]
    public async Task A_model_prepared_for_three_instances_has_three_sessions_ready_and_the_measurement_takes_them_all()
    {
        await using var runner = new OrtRunner(_device, TorchOnnxModelSource.Instance);
        using var prepared = (PreparedOrtSession)runner.Prepare(_device.RequestFor(Space, Space.Parse("123123"), 0), instances: 3);
        Assert.Equal(3, prepared.SessionsReady);

        var outcome = Assert.Single(await runner.MeasureAsync([prepared], TestProtocols.Quick with { InstancesPerArchitecture = 3, MinRounds = 3, MaxRounds = 3 },
            CancellationToken.None));

        Assert.Equal(0, prepared.SessionsReady);
        Assert.Equal([0, 1, 2], outcome.Measurement!.Visits!.Select(v => v.Instance));
        Assert.Equal("median-of-3-instances-fastest-cold-visit", outcome.Measurement.Statistics.Estimator);
    }

    [Theory]
    [InlineData("123123")]
    [InlineData("333333")]
    [InlineData("041241")] // a zero node whose pool still runs
    public void Instances_after_the_first_load_its_optimized_graph_and_compute_what_a_session_made_the_usual_way_does(string digits)
    {
        byte[] model = TorchOnnxModelSource.Instance.Export(_device.RequestFor(Space, Space.Parse(digits), 0));
        var settings = OrtSettings.From(_device);
        var instances = OrtTimedSession.CreateInstances(model, settings, 3);
        using var usual = OrtTimedSession.Create(model, settings);
        try
        {
            Assert.Equal(3, instances.Count);
            usual.Run();
            float[] expected = usual.FirstOutput();
            foreach (var instance in instances)
            {
                instance.Run();
                Assert.Equal(expected.Length, instance.FirstOutput().Length);
                Assert.All(instance.FirstOutput().Zip(expected), p => Assert.Equal(p.Second, p.First, 1e-5f));
            }
        }
        finally
        {
            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_model_the_runtime_refuses_when_it_is_prepared_fails_alone_in_its_batch()
    {
        var broken = Space.Parse("000000");
        await using var runner = new OrtRunner(_device, new BreakingSource(broken.Digits));
        var batch = new[] { "123123", broken.Digits, "333333" }.Select(d => runner.Prepare(_device.RequestFor(Space, Space.Parse(d), 0))).ToList();
        try
        {
            var outcomes = await runner.MeasureAsync(batch, TestProtocols.Quick, CancellationToken.None);

            Assert.Equal(["123123", broken.Digits, "333333"], outcomes.Select(o => o.Request.Architecture.Digits));
            Assert.StartsWith("ONNX Runtime rejected the model", outcomes[1].Failure);
            Assert.Null(outcomes[1].Measurement);
            Assert.All(new[] { outcomes[0], outcomes[2] }, o => Assert.True(o.Measurement!.Statistics.LatencyMs > 0, o.Failure));
        }
        finally
        {
            batch.ForEach(m => m.Dispose());
        }
    }

    /// <summary>Real exports, except one architecture whose bytes are cut short.</summary>
    private sealed class BreakingSource(string brokenDigits) : IOnnxModelSource
    {
        public byte[] Export(ModelRequest request)
        {
            var bytes = TorchOnnxModelSource.Instance.Export(request);
            return request.Architecture.Digits == brokenDigits ? bytes[..(bytes.Length / 3)] : bytes;
        }
    }
}
