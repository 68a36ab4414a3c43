using static TorchSharp.torch;

namespace Hrm.Tracing;

/// <summary>The forward residual of a recurrent state, recorded by traces and summarised by the convergence analysis.</summary>
public static class Residual
{
    /// <summary>
    /// Per-row forward residual of a state update: for each token, ||z_t - z_(t-1)|| / ||z_(t-1)|| (Euclidean norm
    /// over the hidden dimension), then the mean over tokens. <paramref name="current"/> and
    /// <paramref name="previous"/> are [B, S, D] (or [S, D] for one row); the result is [B] in float64 on the CPU
    /// (computed in float64, so bfloat16 states lose nothing more). A token whose previous state is exactly 0 gives
    /// +infinity (NaN if it stays 0), so a zero initial state shows rather than being hidden.
    /// </summary>
    public static Tensor Forward(Tensor current, Tensor previous)
    {
        if (!current.shape.SequenceEqual(previous.shape))
            throw new HrmException($"residual: states differ in shape: [{string.Join(", ", current.shape)}] vs [{string.Join(", ", previous.shape)}]");
        if (current.dim() is not (2 or 3))
            throw new HrmException($"residual: states must be [B, S, D] or [S, D], got [{string.Join(", ", current.shape)}]");
        using var scope = NewDisposeScope();
        var z = current.detach().to(float64);
        var zPrev = previous.detach().to(float64);
        if (z.dim() == 2) { z = z.unsqueeze(0); zPrev = zPrev.unsqueeze(0); }
        var perToken = linalg.vector_norm(z - zPrev, dims: [-1]) / linalg.vector_norm(zPrev, dims: [-1]);   // [B, S]
        return perToken.mean([-1]).to(CPU).MoveToOuterDisposeScope();                                          // [B]
    }

    /// <summary><see cref="Forward"/> as an array, one residual per row.</summary>
    public static double[] ForwardPerRow(Tensor current, Tensor previous)
    {
        using var r = Forward(current, previous);
        return r.data<double>().ToArray();
    }

}
