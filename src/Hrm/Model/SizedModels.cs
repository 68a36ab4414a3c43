namespace Hrm.Model;

/// <summary>
/// One model and the same weights built for other grid sizes (<see cref="ActModel.ForSeqLen"/>), the one owner of
/// all of them: each size is built once, on first use, and disposing the cache disposes the model and every size
/// built from it. Safe for concurrent calls (a server resizes per request).
/// <code>
/// using var models = new SizedModels(ModelStore.Load("runs/maze9"));
/// var model = models.For(11 * 11);   // the 9x9 maze model's weights on 11x11 mazes
/// </code>
/// </summary>
public sealed class SizedModels(ActModel model) : IDisposable
{
    readonly Dictionary<int, ActModel> sizes = new();
    bool disposed;

    /// <summary>The model as loaded, for its own seq_len.</summary>
    public ActModel Model { get; } = model;

    /// <summary>The model for sequences of <paramref name="seqLen"/> tokens: <see cref="Model"/> for its own length,
    /// else the same weights built for that length (refused with the name of the weight that fixes the size, unless
    /// the model is size-free; the segment budget follows halt_max_steps_per_side). Owned by this cache.</summary>
    public ActModel For(int seqLen)
    {
        if (seqLen == Model.Config.SeqLen) return Model;
        lock (sizes)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!sizes.TryGetValue(seqLen, out var sized)) sizes[seqLen] = sized = Model.ForSeqLen(seqLen);
            return sized;
        }
    }

    /// <summary>Disposes every model built here and the model itself (a second call does nothing).</summary>
    public void Dispose()
    {
        lock (sizes)
        {
            if (disposed) return;
            disposed = true;
            foreach (var m in sizes.Values) m.Dispose();
            sizes.Clear();
        }
        Model.Dispose();
    }
}
