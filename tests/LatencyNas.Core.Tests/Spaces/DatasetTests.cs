using LatencyNas.Core;
using LatencyNas.Core.Spaces;

namespace LatencyNas.Core.Tests.Spaces;

public class DatasetTests
{
    [Theory]
    [InlineData("cifar10", 32, 10)]
    [InlineData("CIFAR100", 32, 100)]
    [InlineData("ImageNet16-120", 16, 120)]
    [InlineData("imagenet16_120", 16, 120)]
    [InlineData("NinaPro", 16, 18)]
    public void Parses_known_names_leniently(string name, int height, int classes)
    {
        var dataset = Dataset.Parse(name);
        Assert.Equal(height, dataset.Height);
        Assert.Equal(classes, dataset.Classes);
    }

    [Fact]
    public void The_nas_bench_360_tasks_have_their_real_shapes()
    {
        Assert.Equal(("3x60x60", 100), (Dataset.Parse("spherical").Input, Dataset.Parse("spherical").Classes));
        Assert.Equal(("1x16x52", 18), (Dataset.Parse("ninapro").Input, Dataset.Parse("ninapro").Classes));
        Assert.Equal(("1x96x102", 200), (Dataset.Parse("fsd50k").Input, Dataset.Parse("fsd50k").Classes));
    }

    [Fact]
    public void A_custom_task_is_named_by_its_shape_and_classes_and_reads_back()
    {
        var task = Dataset.Custom(1, 16, 60, 18);
        Assert.Equal("1x16x60-18cls", task.Name);
        Assert.Equal(task, Dataset.Parse(task.Name));
        Assert.False(task.IsSquare);
        // A shape and classes of a built-in task are that task.
        Assert.Same(Dataset.NinaPro, Dataset.Custom(1, 16, 52, 18));
        Assert.Equal((1, 16, 52), Dataset.ParseInput(" 1x16x52 "));
    }

    [Theory]
    [InlineData("0x16x52")]
    [InlineData("1x0x52")]
    [InlineData("-1x16x52")]
    [InlineData("1x16")]
    [InlineData("1x16x52x3")]
    [InlineData("1x16x99999")]
    [InlineData("1x16x2147483648")]
    [InlineData("3x5000x5000")]
    [InlineData("a×b×c")]
    public void Bad_input_shapes_are_refused_with_one_line(string text)
    {
        var error = Assert.Throws<InvalidInputException>(() => Dataset.ParseInput(text));
        Assert.DoesNotContain('\n', error.Message);
    }

    [Theory]
    [InlineData("1x16x52-0cls")]
    [InlineData("1x16x52-1000000cls")]
    public void Bad_classes_are_refused(string name)
        => Assert.Throws<InvalidInputException>(() => Dataset.Parse(name));

    [Fact]
    public void Only_square_tasks_change_size()
    {
        Assert.Equal((64, 64), (Dataset.Cifar10.AtResolution(64).Height, Dataset.Cifar10.AtResolution(64).Width));
        Assert.Same(Dataset.NinaPro, Dataset.NinaPro.AtResolution(16));
        Assert.Throws<InvalidInputException>(() => Dataset.NinaPro.AtResolution(32));
    }

    [Fact]
    public void A_space_takes_every_task_but_a_benchmark_dataset_it_lacks()
    {
        var nb201 = SearchSpaces.Get("nb201");
        Assert.Equal(Dataset.Fsd50k, nb201.ParseDataset("fsd50k"));
        Assert.Equal(Dataset.Custom(3, 224, 224, 5), nb201.ParseDataset("3x224x224-5cls"));
        Assert.Contains("not defined", Assert.Throws<InvalidInputException>(() => nb201.ParseDataset("imagenet")).Message);
        // --input and --classes replace the named task's shape and classes.
        Assert.Equal(Dataset.Custom(1, 16, 52, 5), nb201.ParseDataset("ninapro", classes: 5));
        Assert.Equal(Dataset.Custom(2, 8, 8, 100), nb201.ParseDataset("cifar100", input: "2x8x8"));
        Assert.Same(Dataset.NinaPro, nb201.ParseDataset("cifar10", input: "1x16x52", classes: 18));
    }

    [Fact]
    public void Unknown_dataset_names_the_known_ones()
    {
        var error = Assert.Throws<InvalidInputException>(() => Dataset.Parse("mnist"));
        Assert.Contains("cifar10", error.Message);
    }

    [Fact]
    public void Unknown_space_names_the_known_ones()
    {
        var error = Assert.Throws<InvalidInputException>(() => SearchSpaces.Get("darts"));
        Assert.Contains("nb201", error.Message);
    }
}
