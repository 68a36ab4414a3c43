using System.Text.Json;
using Hrm.Interop;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>Position of a run, saved beside the weights so that a resumed run continues exactly where it stopped.</summary>
public sealed record RunPosition(long Step, long TotalSteps, long BatchesConsumed, double ElapsedSeconds);

/// <summary>
/// Checkpoints of a training run: what a <see cref="CheckpointFolder"/> holds (its layout is there) and how it is
/// written and restored. The model file holds the weights that are evaluated (with EMA, the EMA weights, as the
/// reference saves), the optimizer file what resuming needs: Adam moments, the ACT carry, the exploration RNG and,
/// with EMA, the raw weights and the shadow.
/// </summary>
public static class Checkpoint
{
    const string RawPrefix = "raw.", EmaPrefix = "ema.";

    /// <summary>
    /// Writes the checkpoint <paramref name="folder"/> and returns its full path. One way for every file: each goes
    /// through <see cref="AtomicFile"/> flushed to disk, into a temporary folder (step_NNNNNNN.tmp) that is renamed into
    /// place when complete (<see cref="AtomicFile.WriteFolder"/>), so a failed write (a full disk) leaves no
    /// half-written folder behind, and earlier checkpoints are untouched.
    /// </summary>
    public static string Save(CheckpointFolder folder, TrainState state, TrainConfig trainConfig, RunPosition position) =>
        AtomicFile.WriteFolder(folder.Root, "the checkpoint", tmp => Write(new CheckpointFolder(tmp), state, trainConfig, position), tempName: folder.TempPath);

    static string CarryPrefix(long seqLen, long ownSeqLen) => seqLen == ownSeqLen ? "carry." : $"carry_{seqLen}.";

    static void Write(CheckpointFolder tmp, TrainState state, TrainConfig trainConfig, RunPosition position)
    {
        // With EMA the model file holds the EMA parameters and the live buffers, as the reference saves; the raw
        // weights and the shadow go into the optimizer file so that a resume continues exactly.
        using (state.EvaluationWeights()) ModelStore.Save(tmp.Root, state.Model);
        AtomicFile.WriteAllText(tmp.TrainConfigPath, trainConfig.ToJson(), flushToDisk: true);

        var opt = state.Adam.StateDict().ToDictionary(kv => "adam." + kv.Key, kv => kv.Value);
        // The carry of the model's own size as "carry.*"; in a run of several sizes, each other size's as "carry_N.*"
        // (N its sequence length).
        foreach (var (seqLen, c) in state.Carries)
        {
            var p = CarryPrefix(seqLen, state.Model.Config.SeqLen);
            opt[p + "z_H"] = c.Inner.ZH; opt[p + "z_L"] = c.Inner.ZL;
            opt[p + "steps"] = c.Steps; opt[p + "halted"] = c.Halted.to(ScalarType.Byte);
            opt[p + "inputs"] = c.Data.Inputs; opt[p + "labels"] = c.Data.Labels; opt[p + "puzzle_identifiers"] = c.Data.PuzzleIds;
        }
        opt["generator"] = state.Generator.get_state();
        if (state.Ema is Ema ema)
        {
            foreach (var (name, p) in state.Model.named_parameters()) opt[RawPrefix + name] = p;
            foreach (var (name, s) in ema.Shadows) opt[EmaPrefix + name] = s;
        }
        StateDictIO.Save(tmp.OptimizerPath, opt);
        AtomicFile.WriteAllText(tmp.PositionPath, JsonSerializer.Serialize(position, new JsonSerializerOptions { WriteIndented = true }), flushToDisk: true);
    }

    /// <summary>
    /// model.safetensors of an EMA run holds the EMA weights. When the optimizer file has the raw weights and the
    /// shadow, both are restored; a checkpoint without them (EMA turned on at resume) starts the shadow from the loaded
    /// weights, as the reference's register after load_checkpoint does.
    /// </summary>
    static void RestoreEma(Dictionary<string, Tensor> opt, TrainState state, string optPath)
    {
        bool hasRaw = opt.Keys.Any(k => k.StartsWith(RawPrefix, StringComparison.Ordinal));
        if (hasRaw)
        {
            using var _ = no_grad();
            foreach (var (name, p) in state.Model.named_parameters())
            {
                if (!opt.TryGetValue(RawPrefix + name, out var raw)) throw new HrmException($"{optPath}: missing '{RawPrefix + name}'");
                if (!raw.shape.SequenceEqual(p.shape)) throw new HrmException($"{optPath}: '{RawPrefix + name}' has the wrong shape");
                p.copy_(raw.to(p.dtype, p.device));
            }
        }
        if (state.Ema is not Ema ema) return;
        foreach (var (name, shadow) in ema.Shadows.ToList())
        {
            if (opt.TryGetValue(EmaPrefix + name, out var saved)) ema.Load(name, saved);
            else
            {
                using var _ = no_grad();
                shadow.copy_(state.Model.named_parameters().First(p => p.name == name).parameter);
            }
        }
    }

    /// <summary>Restores weights, optimizer, carry and RNG from a checkpoint folder into a freshly built state.</summary>
    public static RunPosition Restore(CheckpointFolder checkpoint, TrainState state)
    {
        var weights = checkpoint.ModelPath;
        ReferenceNames.Import(state.Model, StateDictIO.Load(weights), weights);
        var optPath = checkpoint.OptimizerPath;
        var opt = StateDictIO.Load(optPath);
        state.Adam.LoadStateDict(opt.Where(kv => kv.Key.StartsWith("adam.")).ToDictionary(kv => kv.Key[5..], kv => kv.Value));
        if (opt.TryGetValue("generator", out var g)) state.Generator.set_state(g);
        RestoreEma(opt, state, optPath);
        foreach (var key in opt.Keys.Where(k => k.EndsWith(".z_H") && k.StartsWith("carry")).ToList())
        {
            var p = key[..^3];
            var device = state.Model.Device;
            Tensor T(string k) => opt.TryGetValue(p + k, out var t) ? t.to(device) : throw new HrmException($"{optPath}: missing '{p + k}'");
            var carry = new ActCarry(new InnerCarry(T("z_H"), T("z_L")), T("steps"), T("halted").to(ScalarType.Bool),
                new PuzzleBatch(T("inputs"), T("labels"), T("puzzle_identifiers")));
            state.SetCarry(carry);
        }
        var posPath = checkpoint.PositionPath;
        try
        {
            return JsonSerializer.Deserialize<RunPosition>(File.ReadAllText(posPath)) ?? throw new HrmException($"{posPath}: empty");
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new HrmException($"{posPath}: unreadable run position: {e.Message}");
        }
    }
}
