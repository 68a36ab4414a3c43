namespace Hrm.Model;

/// <summary>Analytic FLOP counts (multiply-add = 2 FLOPs) of HRM's segments, for throughput and utilisation figures.</summary>
public static class ModelCost
{
    /// <summary>Forward FLOPs of one transformer block over a batch: projections, attention scores/values, SwiGLU.</summary>
    public static double BlockForward(HrmConfig c, long batch)
    {
        double s = c.ModelSeqLen, d = c.HiddenSize, inter = c.SwiGluIntermediate, tokens = batch * s;
        return 2 * tokens * (4 * d * d + 3 * d * inter) + 4 * batch * s * s * d;
    }

    static double Heads(HrmConfig c, long batch) => 2.0 * batch * c.SeqLen * c.HiddenSize * c.VocabSize + 2.0 * batch * c.HiddenSize * 2;

    /// <summary>Block forwards in one full segment (all H and L updates).</summary>
    public static int BlocksPerSegment(HrmConfig c) => c.HCycles * c.LCycles * c.LLayers + c.HCycles * c.HLayers;

    /// <summary>One inference segment.</summary>
    public static double InferenceSegment(HrmConfig c, long batch) => BlockForward(c, batch) * BlocksPerSegment(c) + Heads(c, batch);

    /// <summary>
    /// One training step: the segment's no-gradient updates, the last L and H update forward and backward (backward = 2x
    /// forward), the heads forward and backward, and the extra no-gradient forward for the Q-continue target.
    /// </summary>
    public static double TrainStep(HrmConfig c, long batch)
    {
        int gradBlocks = c.LLayers + c.HLayers;
        int noGradBlocks = BlocksPerSegment(c) - gradBlocks;
        double segment = BlockForward(c, batch) * (noGradBlocks + 3 * gradBlocks) + 3 * Heads(c, batch);
        double target = c.HaltMaxSteps > 1 ? InferenceSegment(c, batch) : 0;
        return segment + target;
    }
}
