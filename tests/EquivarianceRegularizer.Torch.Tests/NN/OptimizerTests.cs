using EquivarianceRegularizer.Torch.Modules;
using EquivarianceRegularizer.Torch.Optim;
using static EquivarianceRegularizer.Torch.torch;
using static EquivarianceRegularizer.Torch.Tests.NN.NNFixture;

namespace EquivarianceRegularizer.Torch.Tests.NN;

/// <summary>Optimizer trajectories against PyTorch, and their handle hygiene.</summary>
public class OptimizerTests
{
    private DisposeScope? _scope;

    [SetUp]
    public void OpenScope() => _scope = NewDisposeScope();

    [TearDown]
    public void CloseScope() => _scope?.Dispose();

    private static Sequential TinyModel() => nn.Sequential(nn.Linear(3, 4, dtype: float64), nn.Tanh(), nn.Linear(4, 2, dtype: float64));

    private static Optimizer Make(string name, IEnumerable<Tensor> p) => name switch
    {
        "sgd" => optim.SGD(p, lr: 0.1),
        "sgd_momentum" => optim.SGD(p, lr: 0.05, momentum: 0.9, dampening: 0.1, weight_decay: 0.01),
        "sgd_nesterov" => optim.SGD(p, lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 0.02),
        "adam" => optim.Adam(p, lr: 0.01),
        "adam_amsgrad_wd" => optim.Adam(p, lr: 0.02, betas: (0.8, 0.99), eps: 1e-6, weight_decay: 0.05, amsgrad: true),
        "adamw" => optim.AdamW(p, lr: 0.01, weight_decay: 0.1),
        "adamw_amsgrad" => optim.AdamW(p, lr: 0.03, betas: (0.85, 0.95), amsgrad: true),
        _ => throw new ArgumentException(name, nameof(name)),
    };

    [TestCase("sgd")]
    [TestCase("sgd_momentum")]
    [TestCase("sgd_nesterov")]
    [TestCase("adam")]
    [TestCase("adam_amsgrad_wd")]
    [TestCase("adamw")]
    [TestCase("adamw_amsgrad")]
    public void FiveSteps_OnTinyModel_FollowPyTorchTrajectory(string name)
    {
        using var f = Load("optim_" + name);
        using var model = TinyModel();
        f.LoadInto(model);
        using var opt = Make(name, model.parameters());
        using var mse = nn.MSELoss();
        for (int step = 0; step < 5; step++)
        {
            using var stepScope = NewDisposeScope();
            opt.zero_grad();
            var loss = mse.call(model.call(f["input"]), f["target"]);
            loss.backward();
            opt.step();
            AssertClose(loss, f[$"loss{step}"], atol: 1e-12, rtol: 1e-10, what: $"loss at step {step}");
            foreach (var (key, p) in model.state_dict())
                AssertClose(p, f[$"step{step}.{key}"], atol: 1e-12, rtol: 1e-10, what: $"{key} after step {step}");
        }
        Assert.That(opt.step_count, Is.EqualTo(5));
    }

    [TestCase("sgd_momentum", 4)]
    [TestCase("adam", 8)]
    [TestCase("adamw_amsgrad", 12)]
    public void Step_KeepsHandleCountFlat_AndDisposeReleasesState(string name, int stateTensors)
    {
        using var model = TinyModel();
        var x = randn(new long[] { 6, 3 }, dtype: float64);
        var y = randn(new long[] { 6, 2 }, dtype: float64);
        long beforeOptimizer = Tensor.LiveHandleCount;
        var opt = Make(name, model.parameters());
        void Step()
        {
            using var s = NewDisposeScope();
            opt.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            opt.step();
        }
        Step();
        Assert.That(opt.StateTensorCount, Is.EqualTo(stateTensors));
        long afterFirst = Tensor.LiveHandleCount;
        for (int i = 0; i < 20; i++) Step();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(afterFirst));
        opt.Dispose();
        model.zero_grad();
        Assert.That(Tensor.LiveHandleCount, Is.EqualTo(beforeOptimizer));
    }

    [Test]
    public void Step_SkipsParametersWithoutGradient()
    {
        var used = tensor(new double[] { 1, 2 }).requires_grad_();
        var unused = tensor(new double[] { 5, 6 }).requires_grad_();
        using var opt = optim.Adam(new[] { used, unused }, lr: 0.1);
        (used * used).sum().backward();
        opt.step();
        Assert.That(unused.data<double>(), Is.EqualTo(new double[] { 5, 6 }));
        Assert.That(used.data<double>(), Is.EqualTo(new[] { 0.9, 1.9 }).Within(1e-9), "Adam's first step moves by lr·sign(g)");
    }

    [Test]
    public void Sgd_OnQuadratic_ConvergesToMinimum()
    {
        var w = tensor(new double[] { 3, -2 }).requires_grad_();
        using var opt = optim.SGD(new[] { w }, lr: 0.1, momentum: 0.5);
        for (int i = 0; i < 200; i++)
        {
            using var s = NewDisposeScope();
            opt.zero_grad();
            (w - 1).square().sum().backward();
            opt.step();
        }
        Assert.That(w.data<double>(), Is.EqualTo(new double[] { 1, 1 }).Within(1e-6));
    }
}
