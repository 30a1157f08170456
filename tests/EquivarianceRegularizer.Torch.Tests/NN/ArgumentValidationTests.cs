using static EquivarianceRegularizer.Torch.torch;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>Invalid constructor and forward arguments give an ArgumentException naming the argument.</summary>
public class ArgumentValidationTests
{
    private DisposeScope? _scope;

    [SetUp]
    public void OpenScope() => _scope = NewDisposeScope();

    [TearDown]
    public void CloseScope() => _scope?.Dispose();

    public static IEnumerable<TestCaseData> InvalidConstructions()
    {
        yield return Case("Linear negative in_features", "in_features", () => nn.Linear(-1, 3));
        yield return Case("Linear zero out_features", "out_features", () => nn.Linear(3, 0));
        yield return Case("Conv2d kernel 0", "kernel_size", () => nn.Conv2d(3, 4, 0));
        yield return Case("Conv2d negative out_channels", "out_channels", () => nn.Conv2d(3, -4, 3));
        yield return Case("Conv2d in_channels not divisible by groups", "in_channels", () => nn.Conv2d(3, 4, 3, groups: 2));
        yield return Case("Conv2d out_channels not divisible by groups", "out_channels", () => nn.Conv2d(4, 3, 3, groups: 2));
        yield return Case("Conv2d stride 0", "stride", () => nn.Conv2d(3, 4, 3, stride: 0));
        yield return Case("Conv2d negative padding", "padding", () => nn.Conv2d(3, 4, 3, padding: -1));
        yield return Case("Conv2d unknown padding_mode", "padding_mode", () => nn.Conv2d(3, 4, 3, padding_mode: "mirror"));
        yield return Case("Conv2d dilation 0", "dilation", () => nn.Conv2d(3, 4, 3, dilation: 0));
        yield return Case("Conv1d negative in_channels", "in_channels", () => nn.Conv1d(-2, 4, 3));
        yield return Case("Conv1d groups 0", "groups", () => nn.Conv1d(2, 4, 3, groups: 0));
        yield return Case("BatchNorm2d zero features", "num_features", () => nn.BatchNorm2d(0));
        yield return Case("BatchNorm1d momentum above 1", "momentum", () => nn.BatchNorm1d(3, momentum: 2));
        yield return Case("BatchNorm1d eps 0", "eps", () => nn.BatchNorm1d(3, eps: 0));
        yield return Case("GroupNorm channels not divisible", "num_channels", () => nn.GroupNorm(4, 6));
        yield return Case("LayerNorm negative size", "normalized_shape", () => nn.LayerNorm(new long[] { -1 }));
        yield return Case("Dropout p above 1", "p", () => nn.Dropout(1.5));
        yield return Case("MaxPool2d kernel 0", "kernel_size", () => nn.MaxPool2d(0));
        yield return Case("MaxPool2d padding above half kernel", "padding", () => nn.MaxPool2d(2, padding: 2));
        yield return Case("AvgPool2d stride 0", "stride", () => nn.AvgPool2d(2, stride: 0));
        yield return Case("AdaptiveAvgPool2d size 0", "output_size", () => nn.AdaptiveAvgPool2d(0));
        yield return Case("Embedding zero rows", "num_embeddings", () => nn.Embedding(0, 3));
        yield return Case("Embedding padding_idx out of range", "padding_idx", () => nn.Embedding(10, 3, padding_idx: 10));
        yield return Case("MultiheadAttention embed_dim not divisible by heads", "num_heads", () => nn.MultiheadAttention(10, 3));
        yield return Case("GELU unknown approximation", "approximate", () => nn.GELU("fast"));
        yield return Case("CrossEntropyLoss unknown reduction", "reduction", () => nn.CrossEntropyLoss(reduction: "avg"));
        yield return Case("SGD negative lr", "lr", () => optim.SGD(new[] { zeros(2) }, lr: -1));
        yield return Case("SGD nesterov without momentum", "nesterov", () => optim.SGD(new[] { zeros(2) }, lr: 0.1, nesterov: true));
        yield return Case("Adam beta1 of 1", "betas", () => optim.Adam(new[] { zeros(2) }, betas: (1.0, 0.9)));
        yield return Case("AdamW negative weight decay", "weight_decay", () => optim.AdamW(new[] { zeros(2) }, weight_decay: -0.1));
        yield return Case("Adam empty parameter list", "parameters", () => optim.Adam(Array.Empty<Tensor>()));

        static TestCaseData Case(string what, string param, Func<IDisposable> make) =>
            new TestCaseData(param, make).SetName($"Constructing_{what.Replace(' ', '_')}_ThrowsNaming_{param}");
    }

    [TestCaseSource(nameof(InvalidConstructions))]
    public void Constructing_WithInvalidArgument_ThrowsArgumentExceptionNamingIt(string param, Func<IDisposable> make)
    {
        var ex = Assert.Throws<ArgumentException>(() => make().Dispose());
        Assert.That(ex!.ParamName, Is.EqualTo(param));
        Assert.That(ex.Message, Does.Contain(param));
    }

    [Test]
    public void Linear_OnWrongFeatureSize_ThrowsNamingExpectedSizeAndShape()
    {
        using var m = nn.Linear(5, 3);
        var ex = Assert.Throws<ArgumentException>(() => m.call(zeros(2, 4)));
        Assert.That(ex!.ParamName, Is.EqualTo("input"));
        Assert.That(ex.Message, Does.Contain("5").And.Contain("[2, 4]"));
    }

    [Test]
    public void Conv2d_OnWrongChannelCount_ThrowsNamingShape()
    {
        using var m = nn.Conv2d(3, 4, 3);
        var ex = Assert.Throws<ArgumentException>(() => m.call(zeros(1, 2, 8, 8)));
        Assert.That(ex!.Message, Does.Contain("3 input channels").And.Contain("[1, 2, 8, 8]"));
    }

    [Test]
    public void BatchNorm2d_On2dInput_ThrowsNamingExpectedRank()
    {
        using var m = nn.BatchNorm2d(3);
        var ex = Assert.Throws<ArgumentException>(() => m.call(zeros(4, 3)));
        Assert.That(ex!.Message, Does.Contain("4-D"));
    }

    [Test]
    public void MSELoss_OnShapeMismatch_ThrowsNamingBothShapes()
    {
        using var loss = nn.MSELoss();
        var ex = Assert.Throws<ArgumentException>(() => loss.call(zeros(2, 3), zeros(3, 2)));
        Assert.That(ex!.Message, Does.Contain("[2, 3]").And.Contain("[3, 2]"));
    }

    [Test]
    public void CrossEntropyLoss_OnTargetOfWrongLength_ThrowsNamingShapes()
    {
        using var loss = nn.CrossEntropyLoss();
        var ex = Assert.Throws<ArgumentException>(() => loss.call(zeros(4, 3), zeros(new long[] { 5 }, int64)));
        Assert.That(ex!.ParamName, Is.EqualTo("target"));
    }

    [Test]
    public void Embedding_OnFloatIndices_Throws()
    {
        using var m = nn.Embedding(4, 2);
        var ex = Assert.Throws<ArgumentException>(() => m.call(zeros(3)));
        Assert.That(ex!.Message, Does.Contain("int64"));
    }
}
