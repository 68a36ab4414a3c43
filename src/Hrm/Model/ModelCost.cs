namespace Hrm.Model;

/// <summary>Analytic FLOP counts (multiply-add = 2 FLOPs) of a segment, for throughput and utilisation figures.</summary>
public static class ModelCost
{
    /// <summary>Forward FLOPs of one transformer block over a batch: projections, attention scores/values, SwiGLU.</summary>
    public static double BlockForward(ModelConfig c, long batch)
    {
        double s = c.ModelSeqLen, d = c.HiddenSize, inter = c.SwiGluIntermediate, tokens = batch * s;
        return 2 * tokens * (4 * d * d + 3 * d * inter) + 4 * batch * s * s * d;
    }

    static double Heads(ModelConfig c, long batch) => 2.0 * batch * c.SeqLen * c.HiddenSize * c.VocabSize + 2.0 * batch * c.HiddenSize * 2;

    /// <summary>Block forwards in one full segment.</summary>
    public static int BlocksPerSegment(ModelConfig c) => c.BlocksPerSegment;

    /// <summary>One inference segment.</summary>
    public static double InferenceSegment(ModelConfig c, long batch) => BlockForward(c, batch) * c.BlocksPerSegment + Heads(c, batch);

    /// <summary>
    /// One training step: the segment's no-gradient updates, the gradient-carrying updates forward and backward
    /// (backward = 2x forward), the heads forward and backward, and (HRM's halting) the extra no-gradient forward for
    /// the Q-continue target.
    /// </summary>
    public static double TrainStep(ModelConfig c, long batch)
    {
        int gradBlocks = c.GradientBlocksPerSegment;
        int noGradBlocks = c.BlocksPerSegment - gradBlocks;
        double segment = BlockForward(c, batch) * (noGradBlocks + 3 * gradBlocks) + 3 * Heads(c, batch);
        double target = c.HaltMaxSteps > 1 && c.Halting == ActHalting.QHaltAboveContinue ? InferenceSegment(c, batch) : 0;
        return segment + target;
    }
}
