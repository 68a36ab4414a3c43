using System.Text.Json;
using Hrm.Interop;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>Position of a run, saved beside the weights so that a resumed run continues exactly where it stopped.</summary>
public sealed record RunPosition(long Step, long TotalSteps, long BatchesConsumed, double ElapsedSeconds);

/// <summary>
/// Checkpoints of a training run (the model folder of <see cref="ModelStore"/> plus what resuming needs). A checkpoint is a folder RUN/checkpoints/step_NNNNNNN holding
/// model.safetensors (reference tensor names, so the authors' code can load it), config.json (the model config in the
/// reference's format), train_config.json, and for resume optimizer.safetensors (Adam moments, the ACT carry, the
/// exploration RNG) and position.json. Folders are written under a temporary name and renamed when complete.
/// </summary>
public static class Checkpoint
{
    public const string ModelFile = ModelStore.ModelFile;
    public const string ConfigFile = ModelStore.ConfigFile;
    public const string TrainConfigFile = "train_config.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string PositionFile = "position.json";
    const string RawPrefix = "raw.", EmaPrefix = "ema.";

    public static string Save(string runDir, TrainState state, TrainConfig trainConfig, RunPosition position)
    {
        var final = Path.Combine(runDir, ModelStore.CheckpointsFolder, $"step_{position.Step:D7}");
        // Written as step_NNNNNNN.tmp, then renamed (AtomicFile.WriteFolder); a failed write (a full disk) leaves no
        // half-written folder behind, and earlier checkpoints are untouched.
        return AtomicFile.WriteFolder(final, "the checkpoint", tmp => Write(tmp, state, trainConfig, position), tempName: final + ".tmp");
    }

    static void Write(string tmp, TrainState state, TrainConfig trainConfig, RunPosition position)
    {
        // With EMA the model file holds the EMA parameters and the live buffers, as the reference saves; the raw
        // weights and the shadow go into the optimizer file so that a resume continues exactly.
        using (state.EvaluationWeights()) ModelStore.Save(tmp, state.Model);
        AtomicFile.WriteAllText(Path.Combine(tmp, TrainConfigFile), trainConfig.ToJson(), flushToDisk: true);

        var opt = state.Adam.StateDict().ToDictionary(kv => "adam." + kv.Key, kv => kv.Value);
        if (state.Carry is ActCarry c)
        {
            opt["carry.z_H"] = c.Inner.ZH; opt["carry.z_L"] = c.Inner.ZL;
            opt["carry.steps"] = c.Steps; opt["carry.halted"] = c.Halted.to(ScalarType.Byte);
            opt["carry.inputs"] = c.Data.Inputs; opt["carry.labels"] = c.Data.Labels; opt["carry.puzzle_identifiers"] = c.Data.PuzzleIds;
        }
        opt["generator"] = state.Generator.get_state();
        if (state.Ema is Ema ema)
        {
            foreach (var (name, p) in state.Model.named_parameters()) opt[RawPrefix + name] = p;
            foreach (var (name, s) in ema.Shadows) opt[EmaPrefix + name] = s;
        }
        StateDictIO.Save(Path.Combine(tmp, OptimizerFile), opt);
        AtomicFile.Write(Path.Combine(tmp, PositionFile),
            stream => JsonSerializer.Serialize(stream, position, new JsonSerializerOptions { WriteIndented = true }), flushToDisk: true);
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

    /// <summary>The newest complete checkpoint folder of a run, or null.</summary>
    public static string? Latest(string runDir) => ModelStore.LatestCheckpoint(runDir);

    /// <summary>Restores weights, optimizer, carry and RNG from a checkpoint folder into a freshly built state.</summary>
    public static RunPosition Restore(string checkpointDir, TrainState state)
    {
        var weights = Path.Combine(checkpointDir, ModelFile);
        ReferenceNames.Import(state.Model, StateDictIO.Load(weights), weights);
        var optPath = Path.Combine(checkpointDir, OptimizerFile);
        var opt = StateDictIO.Load(optPath);
        state.Adam.LoadStateDict(opt.Where(kv => kv.Key.StartsWith("adam.")).ToDictionary(kv => kv.Key[5..], kv => kv.Value));
        if (opt.TryGetValue("generator", out var g)) state.Generator.set_state(g);
        RestoreEma(opt, state, optPath);
        if (opt.ContainsKey("carry.z_H"))
        {
            var device = state.Model.Device;
            Tensor T(string k) => opt.TryGetValue(k, out var t) ? t.to(device) : throw new HrmException($"{optPath}: missing '{k}'");
            var carry = new ActCarry(new InnerCarry(T("carry.z_H"), T("carry.z_L")), T("carry.steps"), T("carry.halted").to(ScalarType.Bool),
                new PuzzleBatch(T("carry.inputs"), T("carry.labels"), T("carry.puzzle_identifiers")));
            state.SetCarry(carry);
        }
        var posPath = Path.Combine(checkpointDir, PositionFile);
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
