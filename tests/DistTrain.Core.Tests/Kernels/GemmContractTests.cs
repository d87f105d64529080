// Sizes at the edges of the contract: empty products, an empty reduction, spans that are too short.
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

public sealed class GemmContractTests
{
    [Theory]
    [InlineData(GemmProduct.ABt)]
    [InlineData(GemmProduct.AtB)]
    [InlineData(GemmProduct.AB)]
    public void An_empty_reduction_clears_C_or_leaves_it_when_accumulating(GemmProduct product)
    {
        float[] c = [1f, 2f, 3f, 4f, 5f, 6f];
        GemmProducts.Public(product, [], [], 2, 3, 0, c, accumulate: true);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], c);

        GemmProducts.Public(product, [], [], 2, 3, 0, c, accumulate: false);
        Assert.Equal(new float[6], c);
    }

    [Theory]
    [InlineData(GemmProduct.ABt)]
    [InlineData(GemmProduct.AtB)]
    [InlineData(GemmProduct.AB)]
    public void An_empty_result_touches_nothing(GemmProduct product)
    {
        float[] c = [7f];
        GemmProducts.Public(product, [], [1f, 2f], 0, 1, 2, c, accumulate: false);
        GemmProducts.Public(product, [1f, 2f], [], 1, 0, 2, c, accumulate: false);
        Assert.Equal([7f], c);
    }

    [Theory]
    [InlineData(GemmProduct.ABt)]
    [InlineData(GemmProduct.AtB)]
    [InlineData(GemmProduct.AB)]
    public void Spans_too_short_for_the_sizes_are_rejected(GemmProduct product)
    {
        Assert.Throws<ArgumentException>(() => GemmProducts.Public(product, new float[5], new float[6], 2, 2, 3, new float[4], false));
        Assert.Throws<ArgumentException>(() => GemmProducts.Public(product, new float[6], new float[5], 2, 2, 3, new float[4], false));
        Assert.Throws<ArgumentException>(() => GemmProducts.Public(product, new float[6], new float[6], 2, 2, 3, new float[3], false));
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmProducts.Public(product, new float[6], new float[6], -1, 2, 3, new float[4], false));
    }

    [Theory]
    [InlineData(GemmProduct.ABt)]
    [InlineData(GemmProduct.AtB)]
    [InlineData(GemmProduct.AB)]
    public void A_thread_count_below_one_is_rejected(GemmProduct product)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GemmProducts.Public(product, new float[6], new float[6], 2, 2, 3, new float[4], false, threads: 0));
    }
}
