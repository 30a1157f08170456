using System.Diagnostics;
using System.Globalization;
using EquivarianceRegularizer.Data;
using EquivarianceRegularizer.Lie;
using TorchSharp;
using EquivarianceRegularizer.Transforms;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Lie;

/// <summary>
/// The Fashion-MNIST Lie-derivative study reported in docs/lie-derivative.md. Explicit: it trains two small CNNs
/// (a few minutes of CPU). Run with
/// <c>dotnet test tests/EquivarianceRegularizer.Tests -c Release --filter FullyQualifiedName~FashionMnistLieStudy</c>;
/// the tables are printed and written to artifacts/lie-study.md.
/// </summary>
[Explicit("Trains two CNNs on Fashion-MNIST (minutes of CPU); numbers go to docs/lie-derivative.md.")]
[Category("Study")]
public class FashionMnistLieStudy
{
    private const int TrainImages = 20000;
    private const int Epochs = 2;
    private const int MeasureImages = 500;

    private static double Train(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, ulong seed)
    {
        using var opt = optim.Adam(model.parameters(), lr: 2e-3);
        using var g = new Generator(seed);
        long n = images.size(0);
        const long batch = 64;
        model.train();
        double last = 0;
        for (int epoch = 0; epoch < Epochs; epoch++)
        {
            using var order = randperm(n, generator: g);
            for (long start = 0; start + batch <= n; start += batch)
            {
                using var scope = NewDisposeScope();
                var idx = order.narrow(0, start, batch);
                var x = images.index_select(0, idx);
                var y = labels.index_select(0, idx);
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                opt.step();
                last = loss.ToDouble();
            }
        }
        model.eval();
        return last;
    }

    private static double Accuracy(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var predicted = model.call(images).argmax(1);
        return predicted.eq(labels).to(ScalarType.Float64).mean().ToDouble();
    }

    [Test]
    public void MeasureLeeOfTrainedAndUntrainedCnns()
    {
        var clock = Stopwatch.StartNew();
        torch.set_num_threads(2);
        using var scope = NewDisposeScope();
        var (trainX, trainY) = FashionMnist.Load(train: true, limit: TrainImages);
        var (testX, testY) = FashionMnist.Load(train: false);
        var trainProbe = trainX.narrow(0, 0, MeasureImages);
        var testProbe = testX.narrow(0, 0, MeasureImages);
        var transforms = new IContinuousTransform[] { new TranslationX(), new TranslationY(), new Rotation(), new Scaling() };
        var options = new LieOptions { BatchSize = 100 };
        var inv = CultureInfo.InvariantCulture;
        var md = new System.Text.StringBuilder();
        string F(LeeResult r) => string.Format(inv, "{0:G3} ± {1:G2}", r.Value, r.StandardError);
        var softmax = options with { Aggregation = LieAggregation.MeanAbsoluteSoftmax };
        string Row(nn.Module<Tensor, Tensor> m, Tensor probe)
        {
            double scale;
            using (var s = NewDisposeScope())
            using (no_grad()) scale = m.call(probe).square().mean().ToDouble();
            var cells = new List<string> { scale.ToString("G3", inv) };
            cells.AddRange(transforms.Select(t => F(LocalEquivarianceError.Measure(m.call, probe, t, options))));
            cells.Add(F(LocalEquivarianceError.Measure(m.call, probe, transforms[0], softmax)));
            cells.Add(F(LocalEquivarianceError.Measure(m.call, probe, transforms[2], softmax)));
            return string.Join(" | ", cells);
        }

        md.AppendLine(inv, $"Fashion-MNIST: trained on the first {TrainImages} training images for {Epochs} epochs (Adam 2e-3, batch 64); LEE on {MeasureImages} images, mean square, frame units (translation t = 1 is 14 pixels).");
        md.AppendLine();
        md.AppendLine("| model | test acc. | set | E‖f‖²/dim | translate-x | translate-y | rotate | scale | translate-x, softmax conv. | rotate, softmax conv. |");
        md.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        var trainedModels = new Dictionary<string, nn.Module<Tensor, Tensor>>();
        foreach (bool blur in new[] { false, true })
        {
            string name = blur ? "blur-pool CNN" : "max-pool CNN";
            var untrained = Cnns.FashionMnistCnn(blur, 1);
            untrained.eval();
            var row = Row(untrained, testProbe);
            md.AppendLine(inv, $"| {name}, untrained | {Accuracy(untrained, testX, testY):P1} | test | {row} |");
            var trained = Cnns.FashionMnistCnn(blur, 1);
            double loss = Train(trained, trainX, trainY, 2);
            double acc = Accuracy(trained, testX, testY);
            foreach (var (set, probe) in new[] { ("test", testProbe), ("train", trainProbe) })
            {
                md.AppendLine(inv, $"| {name}, trained (last loss {loss:F3}) | {acc:P1} | {set} | {Row(trained, probe)} |");
            }
            trainedModels[name] = trained;
            untrained.Dispose();
        }
        md.AppendLine();
        foreach (var (name, model) in trainedModels)
        {
            foreach (var t in new IContinuousTransform[] { new TranslationX(), new Rotation() })
            {
                var report = LayerwiseLieDerivative.Measure(model, testProbe, t, options);
                md.AppendLine(inv, $"Per-layer, trained {name}, {t.Name} (test images): downsampling share {report.ShareByRole.GetValueOrDefault("Downsampling"):P1}, nonlinearity share {report.ShareByRole.GetValueOrDefault("Nonlinearity"):P1}, sum residual {report.SumRelativeResidual:G2}");
                md.AppendLine("```");
                md.Append(report.ToTable());
                md.AppendLine("```");
            }
            model.Dispose();
        }
        md.AppendLine(inv, $"Wall time {clock.Elapsed.TotalSeconds:F0} s.");
        var text = md.ToString();
        TestContext.Out.WriteLine(text);
        Console.WriteLine(text);
        var dir = Path.Combine(FindRepoRoot(), "artifacts");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "lie-study.md"), text);
        Assert.That(text, Does.Contain("trained"));
    }

    private static string FindRepoRoot()
    {
        var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "EquivarianceRegularizer.sln"))) d = d.Parent;
        return d?.FullName ?? TestContext.CurrentContext.TestDirectory;
    }
}
