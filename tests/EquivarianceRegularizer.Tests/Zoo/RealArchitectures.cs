using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquivarianceRegularizer.Tests.Zoo;

/// <summary>
/// The real-architecture families built in TorchSharp for the hook path: TorchVision .NET's resnet18 and a
/// hand-written vision-transformer block (patch embedding, position embedding, attention called with query, key and
/// value, MLP), the counterparts of the TorchScript fixtures in tests/fixtures/real.
/// </summary>
internal static class RealArchitectures
{
    /// <summary>TorchVision .NET's resnet18 (10 classes), seeded, in eval mode.</summary>
    public static nn.Module<Tensor, Tensor> ResNet18(Generator generator)
    {
        var model = torchvision.models.resnet18(num_classes: 10).Seeded(generator);
        model.eval();
        return model;
    }

    /// <summary>A one-block ViT on <paramref name="image"/>² inputs with <paramref name="patch"/>² patches, seeded, in eval mode.</summary>
    public static VisionTransformerBlock Vit(Generator generator, long image = 16, long patch = 4, long dim = 16, long heads = 2)
    {
        var model = new VisionTransformerBlock(image, patch, dim, heads).Seeded(generator);
        model.eval();
        return model;
    }
}

/// <summary>
/// Patch embedding (a strided conv), a learned position embedding, pre-norm attention called as attn(h, h, h) and a
/// GELU MLP with residual sums, mean over tokens, linear head: a ViT encoder block as torchvision writes it.
/// </summary>
internal sealed class VisionTransformerBlock : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d patch_embed;
    private readonly Parameter pos_embedding;
    private readonly LayerNorm ln_1;
    private readonly MultiheadAttention self_attention;
    private readonly LayerNorm ln_2;
    private readonly Sequential mlp;
    private readonly Linear head;

    public VisionTransformerBlock(long image, long patch, long dim, long heads) : base(nameof(VisionTransformerBlock))
    {
        long tokens = (image / patch) * (image / patch);
        patch_embed = nn.Conv2d(3, dim, patch, stride: patch);
        pos_embedding = new Parameter(zeros(1, tokens, dim));
        ln_1 = nn.LayerNorm(dim);
        self_attention = nn.MultiheadAttention(dim, heads);
        ln_2 = nn.LayerNorm(dim);
        mlp = nn.Sequential(("0", nn.Linear(dim, 2 * dim)), ("1", nn.GELU()), ("2", nn.Linear(2 * dim, dim)));
        head = nn.Linear(dim, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var t = patch_embed.call(input).flatten(2).transpose(1, 2) + pos_embedding; // N × tokens × dim
        var h = ln_1.call(t).transpose(0, 1);                                        // TorchSharp's attention takes L × N × E
        var (a, _) = self_attention.call(h, h, h, null, false, null);
        t = t + a.transpose(0, 1);
        t = t + mlp.call(ln_2.call(t));
        return head.call(t.mean(new long[] { 1 }));
    }
}
