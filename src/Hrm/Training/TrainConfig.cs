using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hrm.Interop;
using Hrm.Model;

namespace Hrm.Training;

/// <summary>
/// A training run's configuration: the reference's PretrainConfig fields (same JSON names) plus a few of ours for
/// bounded CPU runs. "arch" holds the model config in the reference's format; vocab_size, seq_len,
/// num_puzzle_identifiers and batch_size in it are filled from the dataset and global_batch_size.
/// </summary>
public sealed record TrainConfig
{
    // Far above the paper's 768; a typo such as an extra digit group should fail here, not as an allocation.
    const int MaxBatch = 1 << 20;

    [JsonPropertyName("arch")] public JsonObject Arch { get; init; } = new();
    [ConfigKey("Dataset directory (from hrm data); --data overrides it.", Section = ConfigSection.Data)]
    [JsonPropertyName("data_path")] public string? DataPath { get; init; }
    [ConfigKey("Examples per optimiser step.", Section = ConfigSection.Optimizer, Min = 1, Max = MaxBatch)]
    [JsonPropertyName("global_batch_size")] public int GlobalBatchSize { get; init; } = 768;
    [ConfigKey("Training length in passes over the train groups (the authors' schedule); max_steps caps it.", Section = ConfigSection.Schedule, Min = 1)]
    [JsonPropertyName("epochs")] public long Epochs { get; init; } = 100000;
    [ConfigKey("Evaluate every this many epochs (the authors' eval_interval); null = only at the end.", Section = ConfigSection.Schedule, Min = 1)]
    [JsonPropertyName("eval_interval")] public long? EvalInterval { get; init; }
    [ConfigKey("Peak learning rate (AdamATan2).", Section = ConfigSection.Optimizer, Min = 0)]
    [JsonPropertyName("lr")] public double Lr { get; init; } = 1e-4;
    [ConfigKey("Cosine decay floor as a fraction of lr (1 = constant after warm-up).", Section = ConfigSection.Optimizer, Min = 0, Max = 1)]
    [JsonPropertyName("lr_min_ratio")] public double LrMinRatio { get; init; } = 1.0;
    [ConfigKey("Linear warm-up steps.", Section = ConfigSection.Optimizer, Min = 0)]
    [JsonPropertyName("lr_warmup_steps")] public long LrWarmupSteps { get; init; } = 2000;
    [ConfigKey("Decoupled weight decay of the model weights.", Section = ConfigSection.Optimizer, Min = 0)]
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; } = 0.1;
    [ConfigKey("Adam first-moment decay.", Section = ConfigSection.Optimizer, Min = 0, Max = 1, MaxExclusive = true)]
    [JsonPropertyName("beta1")] public double Beta1 { get; init; } = 0.9;
    [ConfigKey("Adam second-moment decay.", Section = ConfigSection.Optimizer, Min = 0, Max = 1, MaxExclusive = true)]
    [JsonPropertyName("beta2")] public double Beta2 { get; init; } = 0.95;
    [ConfigKey("Learning rate of the puzzle-embedding table (sign-SGD).", Section = ConfigSection.Optimizer, Min = 0)]
    [JsonPropertyName("puzzle_emb_lr")] public double PuzzleEmbLr { get; init; } = 1e-2;
    [ConfigKey("Weight decay of the puzzle-embedding table.", Section = ConfigSection.Optimizer, Min = 0)]
    [JsonPropertyName("puzzle_emb_weight_decay")] public double PuzzleEmbWeightDecay { get; init; } = 0.1;
    [ConfigKey("Seed of the model init, the data order, ACT exploration and a preset's own data.", Section = ConfigSection.Runtime)]
    [JsonPropertyName("seed")] public int Seed { get; init; }
    [ConfigKey("Write a checkpoint at every evaluation.", Section = ConfigSection.Schedule)]
    [JsonPropertyName("checkpoint_every_eval")] public bool CheckpointEveryEval { get; init; } = true;
    /// <summary>TRM's exponential moving average of the weights (used for evaluation and saved in checkpoints).</summary>
    [ConfigKey("Keep an exponential moving average of the weights for evaluation and checkpoints (TRM).", Section = ConfigSection.Optimizer)]
    [JsonPropertyName("ema")] public bool Ema { get; init; }
    [ConfigKey("EMA decay per step.", Section = ConfigSection.Optimizer, Min = 0, Max = 1, MaxExclusive = true)]
    [JsonPropertyName("ema_rate")] public double EmaRate { get; init; } = 0.999;

    // ---- ours ----
    /// <summary>A preset's own data: the arguments of an `hrm data ...` command without --out and --seed (e.g. "maze
    /// --size 11 --train 20000 --test 1000"). `hrm train` without --data builds it into RUN/data with the run's seed.</summary>
    [ConfigKey("A preset's own data: the arguments of an hrm data command without --out and --seed; built into RUN/data when --data is absent.", Section = ConfigSection.Data, Ours = true)]
    [JsonPropertyName("data_recipe")] public string? DataRecipe { get; init; }
    /// <summary>Training-time augmentation on the fly (<see cref="TrainingAugmentation"/>): each training example seen
    /// through a random view of its task, drawn from the seed and the batch number; false = the stored examples.</summary>
    [ConfigKey("Show each training example through a random view of its task (Sudoku: digit relabelling, transpose, band and stack orders; maze: one of the 8 dihedral maps), input and label alike, drawn from seed and batch number; false = the examples as stored.", Section = ConfigSection.Data, Ours = true)]
    [JsonPropertyName("augment")] public bool Augment { get; init; }
    /// <summary>Caps the run (and its schedule) at this many optimiser steps; null = the reference's epoch-derived total.</summary>
    [ConfigKey("Caps the run (and its schedule) at this many optimiser steps; null = the epoch-derived total.", Section = ConfigSection.Schedule, Ours = true, Min = 1)]
    [JsonPropertyName("max_steps")] public long? MaxSteps { get; init; }
    /// <summary>Evaluate every this many steps (in addition to eval_interval epochs, which the reference uses).</summary>
    [ConfigKey("Evaluate on the test split every this many steps.", Section = ConfigSection.Eval, Ours = true, Min = 1)]
    [JsonPropertyName("eval_every_steps")] public long? EvalEverySteps { get; init; }
    /// <summary>Stop (with a final evaluation and checkpoint) after this much wall time.</summary>
    [ConfigKey("Stop (with a final evaluation and checkpoint) after this much wall time.", Section = ConfigSection.Schedule, Ours = true, Min = 0, MinExclusive = true)]
    [JsonPropertyName("max_minutes")] public double? MaxMinutes { get; init; }
    /// <summary>Evaluate on at most this many test examples per set during training (the final evaluation uses all).</summary>
    [ConfigKey("Test examples per set in periodic evaluations (the final one uses final_eval_max_examples).", Section = ConfigSection.Eval, Ours = true, Min = 1)]
    [JsonPropertyName("eval_max_examples")] public int? EvalMaxExamples { get; init; }
    /// <summary>Test examples of the final evaluation at the end of training; null = the full test split. For models
    /// whose full evaluation would outlast the run (30x30 mazes on a CPU); `hrm eval` can evaluate more later.</summary>
    [ConfigKey("Test examples of the final evaluation; null = the whole test split.", Section = ConfigSection.Eval, Ours = true, Min = 1)]
    [JsonPropertyName("final_eval_max_examples")] public int? FinalEvalMaxExamples { get; init; }
    [ConfigKey("Write a checkpoint every this many steps.", Section = ConfigSection.Schedule, Ours = true, Min = 1)]
    [JsonPropertyName("checkpoint_every_steps")] public long? CheckpointEverySteps { get; init; }
    /// <summary>Run each batch in row chunks of this size (gradient accumulation; same update, less memory).</summary>
    [ConfigKey("Run each batch in row chunks of this size (gradient accumulation: the same update, less memory).", Section = ConfigSection.Optimizer, Ours = true, Min = 1)]
    [JsonPropertyName("micro_batch_size")] public int? MicroBatchSize { get; init; }
    /// <summary>Intra-op threads; 0 = one per core.</summary>
    [ConfigKey("Intra-op CPU threads; 0 = one per core.", Section = ConfigSection.Runtime, Ours = true, Min = 0)]
    [JsonPropertyName("threads")] public int Threads { get; init; }
    /// <summary>"cpu" or "cuda" (needs the CUDA build, see README).</summary>
    [ConfigKey("cpu, cuda or cuda:N (cuda needs the CUDA build).", Section = ConfigSection.Runtime, Ours = true)]
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    [ConfigKey("Log training metrics every this many steps.", Section = ConfigSection.Schedule, Ours = true, Min = 1)]
    [JsonPropertyName("log_every_steps")] public long LogEverySteps { get; init; } = 10;
    /// <summary>A step with a non-finite loss or gradient: "stop" (the run stops with a clear message, keeping the last
    /// good checkpoint and writing nothing newer) or "skip" (the step is dropped and counted).</summary>
    [ConfigKey("A non-finite loss or gradient: stop (keep the last good checkpoint) or skip the step.", Section = ConfigSection.Runtime, Ours = true)]
    [JsonPropertyName("nan_policy")] public NanPolicy NanPolicy { get; init; } = NanPolicy.Stop;


    static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonIgnore] public OptimizerSettings Optimizer => new()
    {
        Lr = Lr, LrMinRatio = LrMinRatio, LrWarmupSteps = LrWarmupSteps, WeightDecay = WeightDecay, Beta1 = Beta1, Beta2 = Beta2,
        PuzzleEmbLr = PuzzleEmbLr, PuzzleEmbWeightDecay = PuzzleEmbWeightDecay, Ema = Ema, EmaRate = EmaRate,
    };

    /// <summary>Loads a config file and applies <c>key=value</c> overrides (dotted keys reach into "arch").</summary>
    public static TrainConfig Load(string path, IEnumerable<string>? overrides = null)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: config file not found");
        return Parse(File.ReadAllText(path), path, overrides);
    }

    public static TrainConfig Parse(string json, string source, IEnumerable<string>? overrides = null)
    {
        var obj = ConfigJson.ParseObject(json, source, allowComments: true);
        obj.Remove("description");
        obj.Remove("Optimizer");   // a copy of the optimiser keys that run folders written before 2026-12-03 carry
        foreach (var o in overrides ?? []) ApplyOverride(obj, o);
        ConfigKeys.CheckTopLevel(obj, source);
        var config = (TrainConfig)ConfigReader.Read(obj, typeof(TrainConfig), source, Options, "", ConfigKeys.UnknownTopLevel);
        config.Validate(source);
        return config;
    }

    /// <summary>Sets KEY=VALUE in the JSON tree; VALUE is parsed as JSON when it can be (numbers, true, null), else a string.</summary>
    static void ApplyOverride(JsonObject root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new HrmException($"an override must be key=value, got '{assignment}'");
        var keys = assignment[..eq].Trim().Split('.');
        var text = assignment[(eq + 1)..].Trim();
        JsonNode? value;
        try { value = JsonNode.Parse(text); }
        catch (JsonException) { value = JsonValue.Create(text); }
        var node = root;
        for (int i = 0; i < keys.Length - 1; i++)
        {
            if (node[keys[i]] is not JsonObject child) { child = new JsonObject(); node[keys[i]] = child; }
            node = child;
        }
        node[keys[^1]] = value;
    }

    void Validate(string source)
    {
        void Require(bool ok, string message, string key) { if (!ok) throw new HrmException(message) { File = source, Key = key }; }
        Require(Arch is not null, "arch must be an object (the model config)", "arch");
        try { ConfigReader.CheckRanges(this); }
        catch (HrmException e) { throw e.At(source); }
        Require(Runtime.TorchRuntime.IsDeviceName(Device), $"device must be cpu or cuda (or cuda:N), not '{Device}'", "device");
        // The architecture part is checked by the model config's own reader (unknown keys, ranges, the rules between
        // its keys); the rules that need the dataset's shape wait for the dataset (ModelConfig below).
        ArchWithoutDataset(source);
    }

    /// <summary>The model config of "arch" alone, before any dataset is read: its keys, ranges and the rules between
    /// them are checked; the dataset-derived keys keep the record's defaults and the rules that involve them
    /// (ModelConfig.CheckDataset) are left to <see cref="ModelConfig(Data.DatasetMetadata, string)"/>.</summary>
    public ModelConfig ArchWithoutDataset(string source = "config")
    {
        var arch = Arch ?? throw new HrmException("arch must be an object (the model config)") { File = source, Key = "arch" };
        return ConfigJson.Parse(arch.ToJsonString(), source, keyPrefix: "arch.", datasetKnown: false);
    }

    /// <summary>The model configuration for a dataset: "arch" plus the dataset-derived fields.</summary>
    public ModelConfig ModelConfig(Data.DatasetMetadata train, string source = "config")
    {
        var arch = (JsonObject)(Arch ?? throw new HrmException("arch must be an object (the model config)") { File = source, Key = "arch" }).DeepClone();
        if (train.Task is not null) arch["task"] = train.Task;
        arch["vocab_size"] = train.VocabSize;
        arch["seq_len"] = train.SeqLen;
        arch["num_puzzle_identifiers"] = train.NumPuzzleIdentifiers;
        arch["batch_size"] = GlobalBatchSize;
        return ConfigJson.Parse(arch.ToJsonString(), source, keyPrefix: "arch.");
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>The config with every default written out, arch included (its dataset-derived keys left out: training
    /// fills them from the dataset).</summary>
    public string ToResolvedJson()
    {
        var node = JsonSerializer.SerializeToNode(this, new JsonSerializerOptions(Options) { DefaultIgnoreCondition = JsonIgnoreCondition.Never })!.AsObject();
        var model = ArchWithoutDataset();
        var arch = JsonNode.Parse(ConfigJson.ToJson(model))!.AsObject();
        foreach (var k in ConfigKeys.In(ConfigSection.Arch).Where(k => k.FromDataset)) arch.Remove(k.Name);
        node["arch"] = arch;
        return node.ToJsonString(Options);
    }
}

/// <summary>What a training step with a non-finite loss or gradient does: <see cref="Stop"/> the run (keeping the last
/// good checkpoint, writing nothing newer) or <see cref="Skip"/> the step (dropped and counted).</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<NanPolicy>))]
public enum NanPolicy { Stop, Skip }
