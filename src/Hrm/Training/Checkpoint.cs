using System.Text.Json;
using Hrm.Interop;
using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Training;

/// <summary>Position of a run, saved beside the weights so that a resumed run continues exactly where it stopped.</summary>
public sealed record RunPosition(long Step, long TotalSteps, long BatchesConsumed, double ElapsedSeconds);

/// <summary>
/// Checkpoints of a training run. A checkpoint is a folder RUN/checkpoints/step_NNNNNNN holding
/// model.safetensors (reference tensor names, so the authors' code can load it), config.json (the model config in the
/// reference's format), train_config.json, and for resume optimizer.safetensors (Adam moments, the ACT carry, the
/// exploration RNG) and position.json. Folders are written under a temporary name and renamed when complete.
/// </summary>
public static class Checkpoint
{
    public const string ModelFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    public const string TrainConfigFile = "train_config.json";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string PositionFile = "position.json";

    public static string Save(string runDir, TrainState state, TrainConfig trainConfig, RunPosition position)
    {
        var root = Path.Combine(runDir, "checkpoints");
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, $"step_{position.Step:D7}");
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        Directory.CreateDirectory(tmp);

        StateDictIO.Save(Path.Combine(tmp, ModelFile), ReferenceNames.Export(state.Model));
        ConfigJson.Save(Path.Combine(tmp, ConfigFile), state.Model.Config);
        File.WriteAllText(Path.Combine(tmp, TrainConfigFile), trainConfig.ToJson());

        var opt = state.Adam.StateDict().ToDictionary(kv => "adam." + kv.Key, kv => kv.Value);
        if (state.Carry is ActCarry c)
        {
            opt["carry.z_H"] = c.Inner.ZH; opt["carry.z_L"] = c.Inner.ZL;
            opt["carry.steps"] = c.Steps; opt["carry.halted"] = c.Halted.to(ScalarType.Byte);
            opt["carry.inputs"] = c.Data.Inputs; opt["carry.labels"] = c.Data.Labels; opt["carry.puzzle_identifiers"] = c.Data.PuzzleIds;
        }
        opt["generator"] = state.Generator.get_state();
        StateDictIO.Save(Path.Combine(tmp, OptimizerFile), opt);
        File.WriteAllText(Path.Combine(tmp, PositionFile), JsonSerializer.Serialize(position, new JsonSerializerOptions { WriteIndented = true }));

        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(tmp, final);
        return final;
    }

    /// <summary>The newest complete checkpoint folder of a run, or null.</summary>
    public static string? Latest(string runDir)
    {
        var root = Path.Combine(runDir, "checkpoints");
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "step_*")
            .Where(d => !d.EndsWith(".tmp") && File.Exists(Path.Combine(d, ModelFile)))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    /// <summary>
    /// Resolves what a user passed as --checkpoint: a run folder (its latest checkpoint), a checkpoint folder, or a weights
    /// file (.safetensors or .pt) with config.json beside it unless <paramref name="configPath"/> is given.
    /// </summary>
    public static (string Weights, string Config) Resolve(string path, string? configPath = null)
    {
        string dir;
        string weights;
        if (Directory.Exists(path))
        {
            dir = CheckpointIn(path) ?? OnlyRunInside(path)
                ?? throw new HrmException($"{path}: no checkpoint found (expected {ModelFile}, checkpoints/step_*/ or one run folder inside)");
            weights = Path.Combine(dir, ModelFile);
        }
        else if (File.Exists(path))
        {
            weights = path;
            dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        }
        else throw new HrmException($"{path}: checkpoint not found");
        var config = configPath ?? Path.Combine(dir, ConfigFile);
        if (!File.Exists(config)) throw new HrmException($"{config}: model config not found (pass --config)");
        return (weights, config);
    }

    static string? CheckpointIn(string dir) => File.Exists(Path.Combine(dir, ModelFile)) ? dir : Latest(dir);

    /// <summary>
    /// The checkpoint of the one run one level below <paramref name="dir"/>: `hrm quickstart` writes
    /// runs/quickstart/{data,run}, and users pass the folder it names. Several runs there are an error that lists them.
    /// </summary>
    static string? OnlyRunInside(string dir)
    {
        var runs = Directory.GetDirectories(dir).Order(StringComparer.Ordinal)
            .Select(d => (Run: d, Checkpoint: CheckpointIn(d))).Where(r => r.Checkpoint is not null).ToList();
        if (runs.Count > 1)
            throw new HrmException($"{dir}: no checkpoint here but {runs.Count} runs inside ({string.Join(", ", runs.Select(r => Path.GetFileName(r.Run)))}): pass one of them");
        return runs.Count == 1 ? runs[0].Checkpoint : null;
    }

    /// <summary>
    /// Loads a model for inference from anything <see cref="Resolve"/> accepts; <paramref name="forwardDtype"/>
    /// overrides the config's forward_dtype (the weights stay float32 either way).
    /// </summary>
    public static ActModel LoadModel(string path, string? configPath = null, Device? device = null, string? forwardDtype = null)
    {
        var (weights, config) = Resolve(path, configPath);
        var cfg = ConfigJson.Load(config);
        if (forwardDtype is not null) cfg = (cfg with { ForwardDtype = forwardDtype }).Validate();
        var model = new ActModel(cfg);
        ReferenceNames.Import(model, StateDictIO.Load(weights), weights);
        if (device is not null) model.to(device);
        model.eval();
        return model;
    }

    /// <summary>Restores weights, optimizer, carry and RNG from a checkpoint folder into a freshly built state.</summary>
    public static RunPosition Restore(string checkpointDir, TrainState state)
    {
        var weights = Path.Combine(checkpointDir, ModelFile);
        ReferenceNames.Import(state.Model, StateDictIO.Load(weights), weights);
        var optPath = Path.Combine(checkpointDir, OptimizerFile);
        var opt = StateDictIO.Load(optPath);
        state.Adam.LoadStateDict(opt.Where(kv => kv.Key.StartsWith("adam.")).ToDictionary(kv => kv.Key[5..], kv => kv.Value));
        if (opt.TryGetValue("generator", out var g)) state.Generator.set_state(g);
        if (opt.ContainsKey("carry.z_H"))
        {
            var device = state.Model.inner.H_init.device;
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
