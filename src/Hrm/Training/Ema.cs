using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>
/// Exponential moving average of the weights (TRM's EMAHelper): a float32 shadow of every trainable parameter,
/// registered on the current weights and moved after every optimiser step by shadow = (1 - mu)·param + mu·shadow.
/// Buffers (puzzle table, H_init, L_init) are not averaged: evaluation and checkpoints use the shadow parameters
/// together with the live buffers, as the reference does.
/// </summary>
public sealed class Ema : IDisposable
{
    readonly List<(string Name, TorchSharp.Modules.Parameter Param, Tensor Shadow)> entries = [];
    public double Rate { get; }

    public Ema(ActModel model, double rate)
    {
        if (!(rate is >= 0 and < 1)) throw new HrmException($"ema_rate must be in [0, 1), not {rate}");
        Rate = rate;
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (p.requires_grad) entries.Add((name, p, p.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>The shadow tensors by our parameter names (for checkpoints).</summary>
    public IEnumerable<(string Name, Tensor Shadow)> Shadows => entries.Select(e => (e.Name, e.Shadow));

    public void Update()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (_, p, s) in entries) s.copy_((1.0 - Rate) * p + Rate * s);
    }

    /// <summary>Overwrites the shadow of parameter <paramref name="name"/> (resume).</summary>
    public void Load(string name, Tensor value)
    {
        var e = entries.FirstOrDefault(x => x.Name == name);
        if (e.Shadow is null) throw new HrmException($"EMA state names unknown parameter '{name}'");
        if (!e.Shadow.shape.SequenceEqual(value.shape))
            throw new HrmException($"EMA state for '{name}' has shape [{string.Join(", ", value.shape)}], the model expects [{string.Join(", ", e.Shadow.shape)}]");
        using var _ = no_grad();
        e.Shadow.copy_(value.to(e.Shadow.dtype, e.Shadow.device));
    }

    /// <summary>Puts the shadow into the model's parameters until the result is disposed, which restores the live
    /// weights: evaluation and saving see the EMA model, training continues on the raw weights.</summary>
    public IDisposable Swap() => new Swapped(this);

    sealed class Swapped : IDisposable
    {
        readonly Ema ema;
        readonly List<Tensor> saved = [];
        bool disposed;

        public Swapped(Ema ema)
        {
            this.ema = ema;
            using var _ = no_grad();
            foreach (var (_, p, s) in ema.entries)
            {
                saved.Add(p.detach().clone().DetachFromDisposeScope());
                p.copy_(s);
            }
        }

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            using var _ = no_grad();
            for (int i = 0; i < saved.Count; i++)
            {
                ema.entries[i].Param.copy_(saved[i]);
                saved[i].Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var e in entries) e.Shadow.Dispose();
        entries.Clear();
    }
}
