using LatencyNas.Profiling.Devices;
using LatencyNas.Tests;
using LatencyNas.Workflows.Tests.Runners;

namespace LatencyNas.Workflows.Tests;

public sealed class ProfileUseCaseTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static readonly DeviceDescriptor Device = DeviceDescriptorReader.Resolve("ort-cpu-1t");

    /// <summary>A latency for every architecture, growing with its work, as a device without noise would run it.</summary>
    private static double Known(Core.Measurements.ModelRequest r) => 0.2 + RealStore.Space.Features(r.Architecture, r.Dataset).Macs / 5e7;

    private StoreLocation Store => new(_directory.File("latnas.db"));

    [Fact]
    public async Task Batches_whose_references_disagree_store_their_estimates_without_claiming_precision_and_the_result_says_why()
    {
        var store = Store;
        var device = Device;
        KnownTimesRunner runner = null!;
        // From the second batch on, the networks without a 3×3 convolution run 30% slower and the others do not: no single
        // factor corrects that, and the four references (NB201's: 042000, 200211, 001321, 433020) disagree by 30%.
        runner = new KnownTimesRunner(device, r => runner.Batches > 1 && !r.Architecture.Digits.Contains('3') ? 1.3 * Known(r) : Known(r));

        var result = await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 200, Seed: 1), store));

        var uneven = Assert.IsType<UnevenBatches>(result.Uneven);
        Assert.True(uneven.Batches >= 2, $"{uneven.Batches} uneven batches");
        Assert.Equal(0.3, uneven.SmallestSpread, 9);
        Assert.Equal(0.3, uneven.LargestSpread, 9);
        Assert.Equal(0.1, uneven.Precision);
        Assert.Equal(200, uneven.Architectures + result.InReferenceBatch);
        Assert.Equal(0, result.PrecisionMet); // the first batch stored the references: nothing checked its scale
        using var opened = store.OpenExisting();
        var stored = opened.Measurements.Read(opened.Devices.Get("ort-cpu-1t"));
        Assert.Equal(uneven.Architectures, stored.Count(m => m.ReferenceSpread is > 0.05 && m.PrecisionMet == false));
        Assert.Equal(result.InReferenceBatch, stored.Count(m => m.Drift is null && m.PrecisionMet == false));

        // A second session of the same architectures on an even machine: every batch checks its scale against the stored references.
        runner = new KnownTimesRunner(device, Known);
        var again = await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 200, Seed: 1), store, Session: 2));
        Assert.Null(again.Uneven);
        Assert.Equal(0, again.InReferenceBatch);
        Assert.Equal(200, again.PrecisionMet);
    }

    [Fact]
    public async Task A_first_batch_that_ran_in_a_slow_spell_does_not_set_the_devices_scale()
    {
        var store = Store;
        var device = Device;
        KnownTimesRunner runner = null!;
        // Everything the first batch measures, its references included, runs 30% slower; later batches run as they should.
        runner = new KnownTimesRunner(device, r => runner.Batches == 1 ? 1.3 * Known(r) : Known(r));

        var result = await new ProfileUseCase(runner).RunAsync(new ProfileRequest("ort-cpu-1t", RealStore.Space, new(Count: 200, Seed: 2), store));

        Assert.Equal(200, result.Measured);
        Assert.True(runner.Batches >= 2);
        using var opened = store.OpenExisting();
        var stored = opened.Devices.Get("ort-cpu-1t");
        // The reference is what the later batches measured, and every batch, the slow first one too, is on its scale.
        Assert.All(opened.Measurements.References(stored, RealStore.Space),
            r => Assert.Equal(Known(device.RequestFor(RealStore.Space, RealStore.Space.Parse(r.Key))), r.Value, 9));
        Assert.All(opened.Measurements.Read(stored),
            m => Assert.Equal(Known(device.RequestFor(RealStore.Space, RealStore.Space.Parse(m.Digits))), m.LatencyMs!.Value, 9));
        Assert.Null(result.Uneven);
        Assert.Equal(200 - result.InReferenceBatch, result.PrecisionMet); // only the batch that stored the reference claims nothing
    }
}
