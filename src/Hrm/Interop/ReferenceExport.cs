using System.Text;
using System.Text.Json.Nodes;
using Hrm.Data;
using Hrm.Model;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>What `hrm export` wrote.</summary>
public sealed record ExportResult(string StepFile, long Step, int Tensors, string? ConfigFile, string? LaunchScript, string? OurConfigFile,
    IReadOnlyList<string> LeftOut, IReadOnlyList<string> Notes, ReferenceConfig.Schema Schema);

/// <summary>
/// Writes a checkpoint of ours as the authors' pretrain.py writes and reads one: DIR/step_N (a torch.save state dict of
/// the whole compiled ACTLossHead, <c>_orig_mod.model.inner.…</c>, persistent buffers included, parameters and the
/// puzzle table float32, H_init/L_init in the forward dtype), DIR/all_config.yaml (their PretrainConfig, see
/// <see cref="ReferenceConfig"/>) and DIR/launch.sh (the torchrun line that continues the run on their code).
/// </summary>
public static class ReferenceExport
{
    public const string LaunchScript = "launch.sh";
    static readonly string[] OwnFiles = [ReferenceConfig.FileName, LaunchScript, CheckpointFolder.ConfigFile];

    /// <param name="checkpoint">A run folder, checkpoint folder or weights file (anything <see cref="ModelStore.Resolve"/> takes).</param>
    /// <param name="trainConfig">The run's train config as JSON with our field names (null: not found; only <paramref name="weightsOnly"/> can do without).</param>
    /// <param name="weightsOnly">Write step_N (and config.json, for our tools) only, also for a model their code cannot run.</param>
    /// <param name="dataDir">The dataset (default: the train config's data_path).</param>
    public static ExportResult Export(string checkpoint, JsonObject? trainConfig, string outDir, int gpus = 8, bool weightsOnly = false, string? dataDir = null)
    {
        if (gpus < 1) throw new HrmException($"gpus must be >= 1, not {gpus}") { Key = "gpus" };
        var (weights, configPath) = ModelStore.Resolve(checkpoint);
        var model = ModelStore.LoadConfig(configPath, dataDir);
        var unsupported = ReferenceConfig.Unsupported(model);
        if (unsupported.Count > 0 && !weightsOnly)
            throw new HrmException($"{checkpoint}: the authors' code cannot run this model: {string.Join("; ", unsupported)} " +
                                   "(weights_only writes step_N alone, with their tensor names)") { Key = "weights_only" };
        if (trainConfig is null && !weightsOnly)
            throw new HrmException($"{checkpoint}: no train_config.json beside the checkpoint or in its run folder: all_config.yaml is made from the run's training config (weights_only writes step_N alone)") { Key = "weights_only" };

        long step = CheckpointFolder.StepOf(weights) ?? CheckpointFolder.Holding(weights).Step ?? 0;
        var stepName = CheckpointFolder.ReferenceNameOf(step);
        var state = WeightsOf(model, weights);

        PrepareOut(outDir);
        // The whole export is written into a temporary folder that then replaces --out (AtomicFile.WriteFolder): a
        // failure (a full disk) leaves the previous export as it was, never half of a new one beside half of the old.
        var stepFile = Path.Combine(outDir, stepName);
        var schema = ReferenceConfig.For(model.Architecture);
        if (weightsOnly)
        {
            var ours = Path.Combine(outDir, CheckpointFolder.ConfigFile);
            AtomicFile.WriteFolder(outDir, "the export", tmp =>
            {
                AtomicFile.WriteAllBytes(Path.Combine(tmp, stepName), PtWriter.Write(state, stepName));
                AtomicFile.WriteAllText(Path.Combine(tmp, CheckpointFolder.ConfigFile), ConfigJson.ToJson(model));
            });
            return new ExportResult(stepFile, step, state.Count, null, null, ours, [], unsupported, schema);
        }

        var data = dataDir ?? trainConfig!["data_path"]?.GetValue<string>();
        DatasetMetadata? meta = null;
        var notes = new List<string>();
        if (data is not null && File.Exists(Path.Combine(data, "train", "dataset.json")))
        {
            meta = PuzzleDatasetDirectory.ReadMetadata(data, "train");
            if (meta.VocabSize != model.VocabSize || meta.SeqLen != model.SeqLen || meta.NumPuzzleIdentifiers != model.NumPuzzleIdentifiers)
                throw new HrmException($"{data}: the dataset (vocab_size {meta.VocabSize}, seq_len {meta.SeqLen}, num_puzzle_identifiers {meta.NumPuzzleIdentifiers}) is not the one the model was built for " +
                                       $"({model.VocabSize}, {model.SeqLen}, {model.NumPuzzleIdentifiers}): their code sizes the model from dataset.json; pass data_dir, the run's dataset") { Key = "data_dir" };
            // TinyRecursiveModels' PuzzleDatasetMetadata requires total_puzzles (launch.sh runs their pretrain.py for every
            // architecture); datasets built before `hrm data` wrote it lack it.
            foreach (var split in PuzzleDatasetDirectory.Splits)
                if (File.Exists(Path.Combine(data, split, "dataset.json")) && PuzzleDatasetDirectory.ReadMetadata(data, split).TotalPuzzles is null)
                    notes.Add($"{Path.Combine(data, split, "dataset.json")} has no total_puzzles, which their loader requires: rebuild the dataset with `hrm data`, or add the field (`hrm data check {data}` prints the value)");
        }
        else notes.Add($"the dataset ({data ?? "no data_path"}) is not here: copy it to the cluster and point DATA in {LaunchScript} at it");
        var dataPath = data is null ? "data" : Path.GetFullPath(data);
        var exported = ReferenceConfig.Export(trainConfig!, model, meta, dataPath, $"{Describe(checkpoint)} (step {step})");
        notes.InsertRange(0, exported.Notes);
        // Their PuzzleDataset splits each global batch evenly over the ranks (and asserts it).
        if (trainConfig!["global_batch_size"]?.GetValue<long>() is long batch && batch % gpus != 0)
            notes.Add($"global_batch_size {batch} is not a multiple of the {gpus} GPUs asked for, which their PuzzleDataset asserts: export for a GPU count that divides it, or add global_batch_size=M to the launch.sh line");

        var configFile = Path.Combine(outDir, ReferenceConfig.FileName);
        var launch = Path.Combine(outDir, LaunchScript);
        var launchText = Launch(schema, model, step, gpus, dataPath, trainConfig!["ema"]?.GetValue<bool>() == true,
            trainConfig["ema_rate"]?.GetValue<double>() ?? 0.999, checkpoint);
        AtomicFile.WriteFolder(outDir, "the export", tmp =>
        {
            AtomicFile.WriteAllBytes(Path.Combine(tmp, stepName), PtWriter.Write(state, stepName));
            AtomicFile.WriteAllText(Path.Combine(tmp, ReferenceConfig.FileName), exported.Yaml);
            var script = Path.Combine(tmp, LaunchScript);
            AtomicFile.WriteAllText(script, launchText);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        });
        return new ExportResult(stepFile, step, state.Count, configFile, launch, null, exported.LeftOut, notes, schema);
    }

    /// <summary>
    /// The model's persistent state under the authors' names, checked to hold their dtypes: float32 everywhere
    /// (they keep parameters and the puzzle table in float32 and cast in forward) except H_init/L_init, which they
    /// create in the forward dtype.
    /// </summary>
    public static Dictionary<string, Tensor> WeightsOf(ModelConfig config, string weights)
    {
        using var model = new ActModel(config);
        ReferenceNames.Import(model, StateDictIO.Load(weights), weights);
        var state = new Dictionary<string, Tensor>();
        // Their state_dict order: the inner module's own buffers first, then its children in order.
        foreach (var (name, t) in ReferenceNames.Export(model).OrderBy(kv => kv.Key.EndsWith(".H_init") ? 0 : kv.Key.EndsWith(".L_init") ? 1 : 2))
        {
            var want = name.EndsWith(".H_init", StringComparison.Ordinal) || name.EndsWith(".L_init", StringComparison.Ordinal) ? config.ForwardScalarType : ScalarType.Float32;
            if (t.dtype != want) throw new InvalidOperationException($"{name} is {t.dtype}, their code keeps it in {want}");
            state[name] = t.detach().clone();
        }
        return state;
    }

    static string Describe(string checkpoint) => Path.GetFullPath(checkpoint);

    /// <summary>An export folder is new, or holds only what an earlier export wrote (which is replaced).</summary>
    static void PrepareOut(string outDir)
    {
        if (File.Exists(outDir)) throw new HrmException("is a file; out_dir names a folder") { File = outDir, Key = "out_dir" };
        if (Directory.Exists(outDir))
        {
            var entries = Directory.GetFileSystemEntries(outDir);
            var foreign = entries.Where(e => !(File.Exists(e) && (OwnFiles.Contains(Path.GetFileName(e)) || CheckpointFolder.StepOf(e) is not null))).ToList();
            if (foreign.Count > 0)
                throw new HrmException($"holds other files than an export's ({Path.GetFileName(foreign[0])}): choose a new or empty out_dir") { File = outDir, Key = "out_dir" };
        }
    }

    /// <summary>launch.sh: the torchrun line that continues this run on their code, with what their code needs.</summary>
    static string Launch(ReferenceConfig.Schema schema, ModelConfig model, long step, int gpus, string dataPath, bool ema, double emaRate, string source)
    {
        bool hrm = model.Architecture == Architecture.Hrm;
        var file = CheckpointFolder.ReferenceNameOf(step);
        var sb = new StringBuilder();
        sb.Append("#!/usr/bin/env bash\n");
        sb.Append($"# Continue an HRM.NET run on the authors' code with torchrun + NCCL data parallelism (written by `hrm export`).\n");
        sb.Append($"# From: {Path.GetFullPath(source)} ({model.Architecture.Name}, step {step}).\n");
        sb.Append("# Here: " + file + " (their state dict, _orig_mod.model.inner.* names) and " + ReferenceConfig.FileName + " (their PretrainConfig).\n#\n");
        sb.Append($"# Usage: CODE=/path/to/TinyRecursiveModels DATA=/path/to/dataset bash {LaunchScript} [more Hydra overrides]\n#\n");
        sb.Append("# What their code needs (HRM.NET needs none of it):\n");
        sb.Append($"#   - {gpus} CUDA GPU(s): their pretrain.py puts everything on \"cuda\"; torchrun uses NCCL between them.\n");
        sb.Append($"#   - CODE: a checkout of {ReferenceConfig.TrmRepository} at {ReferenceConfig.TrmCommit}, the commit these tensor names\n");
        sb.Append("#     and config fields were checked against:\n");
        sb.Append($"#       git clone https://github.com/{ReferenceConfig.TrmRepository} && git -C TinyRecursiveModels checkout {ReferenceConfig.TrmCommit[..7]}\n");
        sb.Append("#   - its requirements: pip install -r requirements.txt (torch with CUDA, adam-atan2 built for CUDA, einops, hydra-core,\n");
        sb.Append("#     omegaconf, pydantic, wandb, coolname, ...), and `wandb login` or WANDB_MODE=offline.\n");
        sb.Append("#   - DATA: this run's dataset folder, copied as it is (their PuzzleDataset reads it unchanged; docs/dataset-format.md).\n");
        sb.Append("#   - DISABLE_COMPILE unset: step_N holds the compiled model's names (_orig_mod.*), and load_checkpoint loads strictly.\n");
        if (hrm)
        {
            sb.Append($"#   HRM: {ReferenceConfig.HrmRepository}@{ReferenceConfig.HrmCommit[..7]}'s own pretrain.py has no load_checkpoint (it always starts\n");
            sb.Append($"#   from a fresh initialisation), builds no model with puzzle_emb_ndim 0, and its FlashAttention runs bfloat16/float16 only. So the line\n");
            sb.Append($"#   below runs TinyRecursiveModels' pretrain.py with its copy of HRM ({ReferenceConfig.TrmRepositoryHrm}: the same\n");
            sb.Append("#   tensor names and math, SDPA attention), turning this HRM-schema all_config.yaml into its schema by overrides.\n");
            sb.Append($"#   Their HRM repository can still evaluate {file} directly: torchrun --nproc-per-node {gpus} evaluate.py checkpoint=$HERE/{file}\n");
            sb.Append("#   (needs puzzle_emb_ndim > 0 and forward_dtype bfloat16 there).\n");
        }
        sb.Append("#\n# Not carried over: the optimiser state (Adam moments, sign-SGD), the step counter and the lr schedule (their run\n");
        sb.Append("# starts at step 0, warm-up included: add lr_warmup_steps=0 to skip it), the data order (their sampler, seeded by seed + rank),\n");
        sb.Append("# the ACT carry" + (ema ? ", and the EMA shadow (their EMA restarts from these weights, which are the EMA weights)" : "") + ".\n");
        sb.Append("# Their checkpoints land in OUT (step_M + all_config.yaml). Bring one back: hrm eval --checkpoint \"$OUT\" --data \"$DATA\"\n");
        sb.Append("# (or solve / trace / viz / serve --checkpoint \"$OUT/step_M\"; hrm train --init-from \"$OUT\" continues it here).\n");
        sb.Append("set -euo pipefail\n");
        sb.Append("HERE=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\"\n");
        sb.Append("CODE=\"${CODE:-$PWD}\"\n");
        sb.Append($"DATA=\"${{DATA:-{dataPath}}}\"\n");
        sb.Append("OUT=\"${OUT:-$HERE/continued}\"\n");
        sb.Append("cd \"$CODE\"\n");
        sb.Append($"torchrun --nproc-per-node {gpus} pretrain.py --config-path \"$HERE\" --config-name all_config \\\n");
        if (hrm)
        {
            sb.Append($"  \"arch.name='{ReferenceConfig.TrmRepositoryHrm}'\" '~data_path' \"+data_paths=['$DATA']\" \\\n");
            sb.Append($"  \"+load_checkpoint='$HERE/{file}'\" \"checkpoint_path='$OUT'\"" + (ema ? $" +ema=true +ema_rate={ReferenceConfig.PythonFloat(emaRate)}" : "") + " \\\n");
        }
        else
        {
            sb.Append($"  \"data_paths=['$DATA']\" \"load_checkpoint='$HERE/{file}'\" \"checkpoint_path='$OUT'\" \\\n");
        }
        sb.Append("  hydra.output_subdir=null \"$@\"\n");
        return sb.ToString();
    }
}
