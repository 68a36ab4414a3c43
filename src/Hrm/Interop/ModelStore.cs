using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Where models live on disk: a model folder holds model.safetensors (the reference's tensor names, so the authors'
/// code can load it) and config.json (the model config in the reference's format). Loads what users pass as a
/// checkpoint: a run folder (its latest checkpoint), a checkpoint or model folder, a weights file (.safetensors or
/// the authors' .pt) with config.json beside it or named separately, or the authors' checkpoint folder (step_N files
/// with their all_config.yaml beside, as their pretrain.py and `hrm export` write it).
/// </summary>
public static class ModelStore
{
    /// <summary>The model folder <paramref name="dir"/> itself, else the latest checkpoint of the run folder it is.</summary>
    static CheckpointFolder? CheckpointIn(string dir)
    {
        var folder = new CheckpointFolder(dir);
        return File.Exists(folder.ModelPath) ? folder : new RunFolder(dir).Latest;
    }

    /// <summary>
    /// The checkpoint of the one run one level below <paramref name="dir"/>: `hrm quickstart` writes
    /// runs/quickstart/{data,run}, and users pass the folder it names. Several runs there are an error that lists them.
    /// </summary>
    static CheckpointFolder? OnlyRunInside(string dir)
    {
        var runs = Directory.GetDirectories(dir).Order(StringComparer.Ordinal)
            .Select(d => (Run: d, Checkpoint: CheckpointIn(d))).Where(r => r.Checkpoint is not null).ToList();
        if (runs.Count > 1)
            throw new HrmException($"no checkpoint here but {runs.Count} runs inside ({string.Join(", ", runs.Select(r => Path.GetFileName(r.Run)))}): pass one of them") { File = dir };
        return runs.Count == 1 ? runs[0].Checkpoint : null;
    }

    /// <summary>
    /// The newest step_N file in a folder of the authors' checkpoints (their pretrain.py writes DIR/step_N, a torch.save
    /// state dict without extension, and DIR/all_config.yaml), by N; null if there is none.
    /// </summary>
    public static string? LatestReferenceStep(string dir) => Directory.Exists(dir)
        ? Directory.GetFiles(dir, CheckpointFolder.StepPattern).Select(f => (File: f, Step: CheckpointFolder.StepOf(f))).Where(x => x.Step is not null)
            .OrderBy(x => x.Step).Select(x => x.File).LastOrDefault()
        : null;

    /// <summary>
    /// Resolves a checkpoint path to its weights file and its config file: config.json beside the weights (ours), else
    /// the authors' all_config.yaml beside them. A folder is a model or checkpoint folder, a run folder (its latest
    /// checkpoint), a folder of the authors' step_N files (the newest), or a folder holding one run.
    /// </summary>
    public static (string Weights, string Config) Resolve(string path, string? configPath = null)
    {
        var weights = ResolveWeights(path);
        if (configPath is not null) return (weights, configPath);
        var folder = CheckpointFolder.Holding(weights);
        foreach (var config in new[] { folder.ConfigPath, Path.Combine(folder.Root, ReferenceConfig.FileName) })
            if (File.Exists(config)) return (weights, config);
        throw new HrmException($"{folder.ConfigPath}: model config not found, nor their {ReferenceConfig.FileName} (give the config file's path)");
    }

    /// <summary>The weights file a checkpoint path names (see <see cref="Resolve"/>), without looking for a config.</summary>
    public static string ResolveWeights(string path)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new HrmException("checkpoint not found") { File = path };
        if (CheckpointIn(path) is CheckpointFolder folder) return folder.ModelPath;
        if (LatestReferenceStep(path) is string step) return step;
        if (OnlyRunInside(path) is CheckpointFolder inside) return inside.ModelPath;
        throw new HrmException($"no checkpoint found (expected {CheckpointFolder.ModelFile}, {RunFolder.CheckpointsPattern}, the authors' step_N files or one run folder inside)") { File = path };
    }

    /// <summary>A model config file: ours (config.json) or the authors' all_config.yaml, whose arch is completed from
    /// the dataset (<paramref name="dataDir"/>, else the data path it names).</summary>
    public static ModelConfig LoadConfig(string configPath, string? dataDir = null) =>
        configPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || configPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)
            ? ReferenceConfig.ReadModelConfig(configPath, dataDir)
            : ConfigJson.Load(configPath);

    /// <summary>
    /// Loads a model for inference from anything <see cref="Resolve"/> accepts; <paramref name="forwardDtype"/>
    /// overrides the config's forward_dtype (the weights stay float32 either way). The architecture comes from the
    /// config's "name". <paramref name="dataDir"/> is the dataset for an all_config.yaml (their data path is a hint).
    /// </summary>
    public static ActModel Load(string path, string? configPath = null, Device? device = null, string? forwardDtype = null, string? dataDir = null)
    {
        var (weights, config) = Resolve(path, configPath);
        var cfg = LoadConfig(config, dataDir);
        if (forwardDtype is not null) cfg = (cfg with { ForwardDtype = forwardDtype }).Validate();
        var model = new ActModel(cfg);
        try
        {
            ReferenceNames.Import(model, StateDictIO.Load(weights), weights);
            if (device is not null) model.to(device);
            model.eval();
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// Copies weights (ours or the authors', any path <see cref="ResolveWeights"/> accepts) into a freshly built model,
    /// strictly by name and shape, for a new run that starts from them. A puzzle-embedding table of another size (a
    /// dataset with other puzzles) is replaced by the mean of its rows, as the authors' load_checkpoint does. Returns
    /// what was done, for the run's log.
    /// </summary>
    public static string InitializeFrom(ActModel model, string path)
    {
        var weights = ResolveWeights(path);
        var state = StateDictIO.Load(weights);
        string extra = "";
        const string table = "inner.puzzle_emb.weights";
        var ours = ReferenceNames.PersistentState(model);
        if (ours.TryGetValue(table, out var dst))
            foreach (var key in state.Keys.ToList())
                if (ReferenceNames.FromReference(key, new HashSet<string> { table }) is not null && !state[key].shape.SequenceEqual(dst.shape))
                {
                    var old = state[key];
                    if (old.dim() != 2 || old.shape[1] != dst.shape[1])
                        throw new HrmException($"{weights}: tensor '{key}' has shape [{string.Join(", ", old.shape)}], the model expects [{string.Join(", ", dst.shape)}] (check the config)");
                    state[key] = old.mean([0], keepdim: true).expand(dst.shape).contiguous();
                    extra = $"; the puzzle embedding table ({old.shape[0]} rows there, {dst.shape[0]} here) starts from the mean of its rows, as their load_checkpoint does";
                }
        ReferenceNames.Import(model, state, weights);
        return $"initialised from {weights} (weights only: the optimiser state, the EMA shadow, the step count and the data order start fresh" +
               $"; the authors' checkpoints hold no optimiser state){extra}";
    }

    /// <summary>Writes model.safetensors and config.json into <paramref name="dir"/> (each via a temp file, flushed
    /// to disk).</summary>
    public static void Save(string dir, ActModel model)
    {
        var folder = new CheckpointFolder(dir);
        Directory.CreateDirectory(folder.Root);
        StateDictIO.Save(folder.ModelPath, ReferenceNames.Export(model));
        ConfigJson.Save(folder.ConfigPath, model.Config);
    }
}
