using EquivarianceRegularizer.Transforms;

namespace EquivarianceRegularizer.Audit.Phases;

/// <summary>The probes phase: extra measurements that only diagnosis needs (train-mode behaviour, which output kind fits).</summary>
internal sealed class Probes(AuditContext run)
{
    /// <summary>First layer whose output changes between two forwards of the same input (Dropout in train mode).</summary>
    public (string Name, string Type, double Rel)? Nondeterministic { get; private set; }

    /// <summary>First layer whose output for a sample depends on the rest of the batch (BatchNorm batch statistics).</summary>
    public (string Name, string Type, double Rel)? BatchDependent { get; private set; }

    /// <summary>When the declared output kind fails: the relative error of the other kind (invariant ↔ equivariant).</summary>
    public (string Kind, double Rel)? AlternativeOutput { get; private set; }

    /// <summary>Whether the train-mode probes ran.</summary>
    public bool TrainModeProbed { get; private set; }

    public void TrainModeProbes(Tensor xs)
    {
        TrainModeProbed = true;
        using var scope = NewDisposeScope();
        var th = run.Thresholds;
        var (_, a) = run.Capture(xs);
        var (_, b) = run.Capture(xs);
        var flagged = new HashSet<string>();
        for (int i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var (name, ca) = a[i];
            var cb = b[i].Capture;
            if (ca.Input is null || ca.Output is null || cb.Input is null || cb.Output is null || b[i].Name != name) continue;
            if (!ca.Output.shape.SequenceEqual(cb.Output.shape) || !ca.Input.shape.SequenceEqual(cb.Input.shape)) continue;
            double inRel = AuditEvaluation.Errors(cb.Input, ca.Input).Rel.Max();
            double outRel = AuditEvaluation.Errors(cb.Output, ca.Output).Rel.Max();
            if (inRel < th.Excellent && !(outRel < th.Excellent))
            {
                flagged.Add(name);
                Nondeterministic ??= (name, ca.TypeName, outRel);
            }
        }
        long half = xs.size(0) / 2;
        if (half < 1) return;
        var (_, c) = run.Capture(xs.narrow(0, 0, half));
        for (int i = 0; i < Math.Min(a.Count, c.Count); i++)
        {
            var (name, ca) = a[i];
            var cc = c[i].Capture;
            if (flagged.Contains(name) || c[i].Name != name || ca.Input is null || ca.Output is null || cc.Input is null || cc.Output is null) continue;
            if (ca.Output.Rank() == 0 || ca.Input.Rank() == 0) continue;
            using var inner = NewDisposeScope();
            var aIn = ca.Input.narrow(0, 0, half);
            var aOut = ca.Output.narrow(0, 0, half);
            if (!aIn.shape.SequenceEqual(cc.Input.shape) || !aOut.shape.SequenceEqual(cc.Output.shape)) continue;
            double inRel = AuditEvaluation.Errors(cc.Input, aIn).Rel.Max();
            double outRel = AuditEvaluation.Errors(cc.Output, aOut).Rel.Max();
            if (inRel < th.Excellent && !(outRel < th.Excellent))
            {
                BatchDependent = (name, ca.TypeName, outRel);
                break;
            }
        }
    }

    public void OutputKindProbe(Tensor x, Tensor y, GroupElements g)
    {
        var spec = run.Spec;
        using var scope = NewDisposeScope();
        try
        {
            var y1 = run.Forward(spec.Input.Apply(x, g));
            if (spec.IsInvariant)
            {
                if (y.Rank() != x.Rank()) return;
                var y2 = spec.Input.Apply(y, g);
                if (!y2.shape.SequenceEqual(y1.shape)) return;
                AlternativeOutput = ("equivariant", AuditEvaluation.Errors(y1, y2).Rel.Max());
            }
            else
            {
                AlternativeOutput = ("invariant", AuditEvaluation.Errors(y1, y).Rel.Max());
            }
        }
        catch (Exception e) when (AuditContext.IsActionFailure(e))
        {
            // The other kind cannot even be applied: nothing to suggest.
        }
    }
}
