using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// Adam-atan2 (Everett et al. 2024), as the reference's adam_atan2 package: Adam with atan2(m, sqrt(v)) in place of
/// m / (sqrt(v) + eps). atan2 is scale-invariant and bounded, so no epsilon is needed. Decoupled weight decay.
/// Per element, in float32: p *= 1 - lr*wd; m = lerp(m, g, 1-b1); v = lerp(v, g^2, 1-b2);
/// p -= (lr / bc1) * atan2(m, sqrt(v) / sqrt(bc2)).
/// </summary>
public sealed class AdamAtan2 : IDisposable
{
    readonly IReadOnlyList<(string Name, Tensor Param)> parameters;
    readonly Dictionary<string, (Tensor M, Tensor V)> state = new();
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double WeightDecay { get; }
    public double LearningRate { get; set; }
    /// <summary>Number of updates done so far (t of the bias corrections).</summary>
    public long StepCount { get; private set; }

    public AdamAtan2(IEnumerable<(string Name, Tensor Param)> parameters, double lr = 1e-4, double beta1 = 0.9, double beta2 = 0.95, double weightDecay = 0.1)
    {
        this.parameters = parameters.ToList();
        LearningRate = lr; Beta1 = beta1; Beta2 = beta2; WeightDecay = weightDecay;
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        StepCount++;
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2 = 1 - Math.Pow(Beta2, StepCount);
        foreach (var (name, p) in parameters)
        {
            var g = p.grad;
            if (g is null) continue;
            if (!state.TryGetValue(name, out var s))
            {
                s = (zeros_like(p).DetachFromDisposeScope(), zeros_like(p).DetachFromDisposeScope());
                state[name] = s;
            }
            p.mul_(1 - LearningRate * WeightDecay);
            s.M.lerp_(g, 1 - Beta1);
            s.V.lerp_(g.square(), 1 - Beta2);
            p.add_(atan2(s.M, s.V.sqrt() / Math.Sqrt(bc2)), alpha: -(LearningRate / bc1));
        }
    }

    /// <summary>Frees the moment tensors (native memory).</summary>
    public void Dispose()
    {
        foreach (var (m, v) in state.Values) { m.Dispose(); v.Dispose(); }
        state.Clear();
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    /// <summary>Optimizer state for checkpoints: "NAME.exp_avg", "NAME.exp_avg_sq" and "step".</summary>
    public Dictionary<string, Tensor> StateDict()
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, (m, v)) in state) { d[name + ".exp_avg"] = m; d[name + ".exp_avg_sq"] = v; }
        d["step"] = tensor(new long[] { StepCount });
        return d;
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> d)
    {
        using var _ = no_grad();
        if (!d.TryGetValue("step", out var step)) throw new HrmException("optimizer state: missing 'step'");
        StepCount = step.to(int64).item<long>();
        foreach (var (name, p) in parameters)
        {
            if (!d.TryGetValue(name + ".exp_avg", out var m) || !d.TryGetValue(name + ".exp_avg_sq", out var v)) continue;
            if (!m.shape.SequenceEqual(p.shape) || !v.shape.SequenceEqual(p.shape))
                throw new HrmException($"optimizer state: shape of '{name}' does not match the model");
            if (state.TryGetValue(name, out var old)) { old.M.Dispose(); old.V.Dispose(); }
            state[name] = (m.to(p.dtype, p.device).clone().DetachFromDisposeScope(), v.to(p.dtype, p.device).clone().DetachFromDisposeScope());
        }
    }
}
