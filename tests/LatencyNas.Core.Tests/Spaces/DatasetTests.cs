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
    public void Parses_known_names_leniently(string name, int resolution, int classes)
    {
        var dataset = Dataset.Parse(name);
        Assert.Equal(resolution, dataset.Resolution);
        Assert.Equal(classes, dataset.Classes);
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
