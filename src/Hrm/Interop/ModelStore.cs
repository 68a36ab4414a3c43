using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Where models live on disk: a model folder holds model.safetensors (the reference's tensor names, so the authors'
/// code can load it) and config.json (the model config in the reference's format). Loads what users pass as a
/// checkpoint: a run folder (its latest checkpoint), a checkpoint or model folder, or a weights file (.safetensors or
/// the authors' .pt) with config.json beside it or named separately.
/// </summary>
public static class ModelStore
{
    public const string ModelFile = "model.safetensors";
    public const string ConfigFile = "config.json";
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>The newest complete checkpoint folder of a run (RUN/checkpoints/step_NNNNNNN), or null.</summary>
    public static string? LatestCheckpoint(string runDir)
    {
        var root = Path.Combine(runDir, CheckpointsFolder);
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root, "step_*")
            .Where(d => !d.EndsWith(".tmp") && File.Exists(Path.Combine(d, ModelFile)) && File.Exists(Path.Combine(d, ConfigFile)))
            .OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
    }

    static string? CheckpointIn(string dir) => File.Exists(Path.Combine(dir, ModelFile)) ? dir : LatestCheckpoint(dir);

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

    /// <summary>Resolves a checkpoint path to its weights file and its config file.</summary>
    public static (string Weights, string Config) Resolve(string path, string? configPath = null)
    {
        string dir;
        string weights;
        if (Directory.Exists(path))
        {
            dir = CheckpointIn(path) ?? OnlyRunInside(path)
                ?? throw new HrmException($"{path}: no checkpoint found (expected {ModelFile}, {CheckpointsFolder}/step_*/ or one run folder inside)");
            weights = Path.Combine(dir, ModelFile);
        }
        else if (File.Exists(path))
        {
            weights = path;
            dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        }
        else throw new HrmException($"{path}: checkpoint not found");
        var config = configPath ?? Path.Combine(dir, ConfigFile);
        if (!File.Exists(config)) throw new HrmException($"{config}: model config not found (give the config file's path)");
        return (weights, config);
    }

    /// <summary>
    /// Loads a model for inference from anything <see cref="Resolve"/> accepts; <paramref name="forwardDtype"/>
    /// overrides the config's forward_dtype (the weights stay float32 either way). The architecture comes from the
    /// config's "name".
    /// </summary>
    public static ActModel Load(string path, string? configPath = null, Device? device = null, string? forwardDtype = null)
    {
        var (weights, config) = Resolve(path, configPath);
        var cfg = ConfigJson.Load(config);
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

    /// <summary>Writes model.safetensors and config.json into <paramref name="dir"/> (each via a temp file).</summary>
    public static void Save(string dir, ActModel model)
    {
        Directory.CreateDirectory(dir);
        StateDictIO.Save(Path.Combine(dir, ModelFile), ReferenceNames.Export(model));
        ConfigJson.Save(Path.Combine(dir, ConfigFile), model.Config);
    }
}
