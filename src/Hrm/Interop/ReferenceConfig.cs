using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hrm.Data;
using Hrm.Model;
using Hrm.Tasks;
using YamlDotNet.RepresentationModel;

namespace Hrm.Interop;

/// <summary>
/// The authors' training configs (<c>all_config.yaml</c>, their Hydra/pydantic <c>PretrainConfig</c>) and how ours maps
/// onto them: the one place that knows which of our fields are theirs, under which name, what they lack, and which
/// options their code cannot run. HRM is sapientinc/HRM's <c>hrm.hrm_act_v1</c> (its pretrain.py: one
/// <c>data_path</c>, no EMA, no <c>load_checkpoint</c>); TRM and the transformer baseline are
/// SamsungSAILMontreal/TinyRecursiveModels' (a <c>data_paths</c> list, <c>evaluators</c>, <c>ema</c>,
/// <c>load_checkpoint</c>). Our configs are handled as JSON objects with our field names (a run's train_config.json,
/// a model's config.json), so this layer needs no Training types.
/// </summary>
public static class ReferenceConfig
{
    public const string FileName = "all_config.yaml";
    public const string HrmRepository = "sapientinc/HRM", HrmCommit = "42410daaaf6ac8b266536d105a6e2362ffe40929";
    public const string TrmRepository = "SamsungSAILMontreal/TinyRecursiveModels", TrmCommit = "e7b68717f0a6c4cbb4ce6fbef787b14f42083bd9";
    /// <summary>The HRM of the TRM repository (models/recursive_reasoning/hrm.py): hrm_act_v1 with the same tensor names
    /// and math, SDPA attention instead of FlashAttention, and an mlp_t switch (off).</summary>
    public const string TrmRepositoryHrm = "recursive_reasoning.hrm@HierarchicalReasoningModel_ACTV1";

    /// <summary>Filled in by their create_model from the dataset and global_batch_size: never in their arch (a duplicate
    /// keyword there is a TypeError).</summary>
    static readonly string[] DatasetDerived = ["batch_size", "seq_len", "num_puzzle_identifiers", "vocab_size"];

    /// <summary>Their model config fields in class order, without the dataset-derived ones; the value is their default,
    /// null when the field is required.</summary>
    static readonly (string Key, JsonNode? Default)[] HrmFields =
    [
        ("puzzle_emb_ndim", 0), ("H_cycles", null), ("L_cycles", null), ("H_layers", null), ("L_layers", null),
        ("hidden_size", null), ("expansion", null), ("num_heads", null), ("pos_encodings", null),
        ("rms_norm_eps", 1e-5), ("rope_theta", 10000.0), ("halt_max_steps", null), ("halt_exploration_prob", null),
        ("forward_dtype", "bfloat16"),
    ];
    static readonly (string, JsonNode?)[] TrmFields = [.. HrmFields, ("mlp_t", false), ("puzzle_emb_len", 16), ("no_ACT_continue", true)];
    static readonly (string, JsonNode?)[] TransformerFields =
    [
        ("puzzle_emb_ndim", 0), ("H_cycles", null), ("H_layers", null), ("hidden_size", null), ("expansion", null),
        ("num_heads", null), ("pos_encodings", null), ("rms_norm_eps", 1e-5), ("rope_theta", 10000.0),
        ("halt_max_steps", null), ("halt_exploration_prob", null), ("act_enabled", true), ("act_inference", false),
        ("forward_dtype", "bfloat16"),
    ];

    /// <summary>One architecture's target: their repository, whose PretrainConfig schema, and their model config.</summary>
    public sealed record Schema(Architecture Architecture, string ClassName, string Repository, string Commit, bool DataPathList,
        (string Key, JsonNode? Default)[] ArchFields)
    {
        public string CommitShort => Commit[..7];
    }

    public static Schema For(Architecture a) =>
        a == Architecture.Hrm ? new(a, "HierarchicalReasoningModel_ACTV1Config", HrmRepository, HrmCommit, false, HrmFields)
        : a == Architecture.Trm ? new(a, "TinyRecursiveReasoningModel_ACTV1Config", TrmRepository, TrmCommit, true, TrmFields)
        : a == Architecture.Transformer ? new(a, "Model_ACTV2Config", TrmRepository, TrmCommit, true, TransformerFields)
        : throw new HrmException($"architecture {a.Name} has no counterpart in the authors' code");

    /// <summary>The PretrainConfig fields whose names and meaning are the same in our train config (both schemas).</summary>
    static readonly string[] SharedTrainFields =
    [
        "global_batch_size", "epochs", "lr", "lr_min_ratio", "lr_warmup_steps", "weight_decay", "beta1", "beta2",
        "puzzle_emb_lr", "puzzle_emb_weight_decay", "seed", "checkpoint_every_eval",
    ];
    /// <summary>Required by both PretrainConfigs (no default there), besides arch and the data path.</summary>
    public static readonly string[] RequiredTrainFields =
        ["global_batch_size", "epochs", "lr", "lr_min_ratio", "lr_warmup_steps", "weight_decay", "beta1", "beta2", "puzzle_emb_lr", "puzzle_emb_weight_decay"];

    // ------------------------------------------------------------------ what their code cannot run

    /// <summary>
    /// Options of a model config that the authors' code cannot run: the reason for each (empty when it can). Their
    /// model configs ignore unknown fields silently, so writing such an option would build a different model.
    /// </summary>
    public static IReadOnlyList<string> Unsupported(ModelConfig c)
    {
        var r = new List<string>();
        if (c is { GridConv: > 0 } t) r.Add($"arch.grid_conv {t.GridConv} {(t.GridMinMax ? " with grid_minmax" : "")} is ours: their model has no convolution token mixer");
        if (c is { CellGroups: not "" } g) r.Add($"arch.cell_groups {g.CellGroups} is ours: their model has no cell-group token mixer");
        if (c.Positions == PositionEncoding.Rope2d) r.Add("arch.pos_encodings rope2d is ours: their HRM raises NotImplementedError on it and their TRM would run without positions");
        if (c.ProgressiveSegments > 0) r.Add($"arch.progressive_segments {c.ProgressiveSegments} is ours: their training runs no segments without gradient before each step");
        if (c.RelPosBias) r.Add("arch.rel_pos_bias is ours: their attention has no relative position bias");
        if (c is TrmConfig { NoActContinue: false }) r.Add("arch.no_ACT_continue false: their TRM's Q-continue path crashes in training (trm.py:294)");
        if (c.Loss == LossType.SoftmaxCrossEntropy) r.Add("softmax_cross_entropy: their TinyRecursiveModels losses.py crashes on it (it passes valid_mask) and launch.sh runs that code");
        return r;
    }

    // ------------------------------------------------------------------ export: ours -> all_config.yaml

    /// <summary>What the export wrote into all_config.yaml and what it could not carry, for the file's comment and the CLI.</summary>
    public sealed record Exported(string Yaml, Schema Schema, IReadOnlyList<string> LeftOut, IReadOnlyList<string> Notes);

    /// <summary>
    /// Their PretrainConfig for one of our runs. <paramref name="train"/> is our train config as JSON (all fields, as
    /// train_config.json holds them), <paramref name="model"/> the model config the checkpoint was built with,
    /// <paramref name="trainMeta"/> the dataset's train metadata (null when the dataset is not at hand: epochs then
    /// cannot be derived from max_steps). <paramref name="dataPath"/> goes into data_path / data_paths.
    /// </summary>
    public static Exported Export(JsonObject train, ModelConfig model, DatasetMetadata? trainMeta, string dataPath, string source)
    {
        var schema = For(model.Architecture);
        var leftOut = new List<string>();
        var notes = new List<string>();

        // arch: every field of their model config, explicitly (their defaults differ from ours).
        var ours = JsonNode.Parse(ConfigJson.ToJson(model))!.AsObject();
        var arch = new List<(string, JsonNode?)> { ("name", model.Architecture.ReferenceName) };
        arch.Add(("loss", new JsonObject { ["name"] = "losses@ACTLossHead", ["loss_type"] = ours["loss"]!["loss_type"]!.GetValue<string>() }));
        foreach (var (key, _) in schema.ArchFields)
            arch.Add((key, ours[key]?.DeepClone() ?? throw new HrmException($"{source}: model config has no '{key}'")));
        var known = schema.ArchFields.Select(f => f.Key).Concat(DatasetDerived).Append("name").Append("loss").ToHashSet();
        foreach (var (key, value) in ours)
            if (!known.Contains(key)) leftOut.Add($"arch.{key}={Show(value)}");
        if (model is HrmConfig { GradHCycles: > 0 } h)
            notes.Add($"arch.grad_h_cycles {h.GradHCycles} is ours: their training backpropagates through the last L and H step only (the one-step gradient)");

        // The schedule: their total_steps = int(epochs * total_groups * mean_puzzle_examples / global_batch_size).
        int batch = train["global_batch_size"]!.GetValue<int>();
        long epochs = train["epochs"]!.GetValue<long>();
        long? maxSteps = Long(train["max_steps"]);
        long? evalInterval = Long(train["eval_interval"]);
        long? evalEvery = Long(train["eval_every_steps"]);
        if (maxSteps is long steps)
        {
            if (trainMeta is null)
                notes.Add($"max_steps {steps}: the dataset is not at hand, so no epochs could be derived; epochs {epochs} is ours as configured");
            else
            {
                var (e, exact) = EpochsFor(steps, trainMeta, batch);
                notes.Add(exact ? $"max_steps {steps} -> epochs {e} (exactly {steps} steps by their total_steps rule)"
                                : $"max_steps {steps} has no exact twin: epochs {e} gives {TotalSteps(e, trainMeta, batch)} steps by their total_steps rule");
                epochs = e;
            }
        }
        if (evalInterval is null && evalEvery is long every && trainMeta is not null)
        {
            double perEpoch = trainMeta.TotalGroups * trainMeta.MeanPuzzleExamples / batch;
            evalInterval = NearestDivisor(epochs, Math.Max(1, (long)Math.Round(every / Math.Max(perEpoch, 1e-12))));
            notes.Add($"eval_every_steps {every} -> eval_interval {evalInterval} epochs (about {evalInterval * perEpoch:F0} steps: they evaluate per epochs, not steps)");
        }
        else if (evalInterval is long ei && epochs % ei != 0)
        {
            long d = NearestDivisor(epochs, ei);
            notes.Add($"eval_interval {ei} does not divide epochs {epochs}, which their code asserts: eval_interval {d}");
            evalInterval = d;
        }
        else if (evalInterval is null && evalEvery is long every2)
            notes.Add($"eval_every_steps {every2}: the dataset is not at hand, so no eval_interval could be derived (they evaluate at the end only)");

        var top = new List<(string, JsonNode?)> { ("arch", null) };
        if (schema.DataPathList)
        {
            top.Add(("data_paths", new JsonArray(dataPath)));
            top.Add(("data_paths_test", new JsonArray()));
            // Their ARC evaluator reads test_puzzles.json from their builder, which our datasets do not hold; for other
            // data an evaluator would be wrong anyway.
            top.Add(("evaluators", new JsonArray()));
            if (TaskRegistry.Find(trainMeta?.Task)?.ReferenceEvaluatorNote is { } why)
                notes.Add($"evaluators: [] ({why})");
        }
        else top.Add(("data_path", dataPath));
        foreach (var key in SharedTrainFields)
            top.Add((key, key == "epochs" ? JsonValue.Create(epochs) : train[key]?.DeepClone() ?? throw new HrmException($"{source}: train config has no '{key}'")));
        top.Add(("project_name", null)); top.Add(("run_name", null));
        if (schema.DataPathList) top.Add(("load_checkpoint", null));
        top.Add(("checkpoint_path", null));
        top.Add(("eval_interval", evalInterval));
        if (schema.DataPathList) top.Add(("min_eval_interval", 0));
        top.Add(("eval_save_outputs", new JsonArray()));
        if (schema.DataPathList)
        {
            top.Add(("ema", train["ema"]?.DeepClone() ?? false));
            top.Add(("ema_rate", train["ema_rate"]?.DeepClone() ?? 0.999));
            top.Add(("freeze_weights", false));
        }
        // "Optimizer" is a derived view of the fields above that our serialiser writes too.
        var mapped = SharedTrainFields.Concat(["arch", "data_path", "eval_interval", "max_steps", "eval_every_steps", "Optimizer"])
            .Concat(schema.DataPathList ? ["ema", "ema_rate"] : Array.Empty<string>()).ToHashSet();
        foreach (var (key, value) in train)
            if (!mapped.Contains(key) && value is not null) leftOut.Add($"{key}={Show(value)}");
        if (!schema.DataPathList && train["ema"]?.GetValue<bool>() == true)
            notes.Add("ema: their HRM pretrain.py has no EMA (step_N holds the EMA weights; launch.sh turns EMA on in the TinyRecursiveModels code)");
        if (train["augment"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)
            notes.Add("augment: their training reads the stored examples only; for augmented data there, build the augmented copies into the dataset when it is made (the data commands' num_aug / aug)");
        if (maxSteps is long ms) leftOut.Add($"max_steps={ms}");
        if (evalEvery is long ev) leftOut.Add($"eval_every_steps={ev}");

        var yaml = new StringBuilder();
        yaml.Append($"# {FileName}: the authors' PretrainConfig ({schema.Repository}@{schema.CommitShort} pretrain.py) for {source},\n");
        yaml.Append("# written by `hrm export` (HRM.NET). Their model config ignores unknown fields, so only theirs are here.\n");
        yaml.Append("# Left out (HRM.NET settings their schema has no field for):\n");
        foreach (var line in Wrap(leftOut.Count == 0 ? "none" : string.Join(", ", leftOut))) yaml.Append($"#   {line}\n");
        foreach (var n in notes) foreach (var line in Wrap(n)) yaml.Append($"# {line}\n");
        foreach (var (key, value) in top)
        {
            if (key == "arch")
            {
                yaml.Append("arch:\n");
                foreach (var (k, v) in arch)
                {
                    if (v is JsonObject o)
                    {
                        yaml.Append($"  {k}:\n");
                        foreach (var (k2, v2) in o) yaml.Append($"    {k2}: {Scalar(k2, v2)}\n");
                    }
                    else yaml.Append($"  {k}: {Scalar(k, v)}\n");
                }
            }
            else if (value is JsonArray a && a.Count > 0)
            {
                yaml.Append($"{key}:\n");
                foreach (var item in a) yaml.Append($"- {Scalar(key, item)}\n");
            }
            else yaml.Append($"{key}: {Scalar(key, value)}\n");
        }
        return new Exported(yaml.ToString(), schema, leftOut, notes);
    }

    static IEnumerable<string> Wrap(string text, int width = 112)
    {
        var line = new StringBuilder();
        foreach (var word in text.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width) { yield return line.ToString(); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0) yield return line.ToString();
    }

    static long? Long(JsonNode? n) => n is null ? null : n.GetValue<long>();

    static string Show(JsonNode? v) => v is null ? "null" : v.ToJsonString();

    /// <summary>Their total_steps for <paramref name="epochs"/>, computed as their Python does (int of a float).</summary>
    public static long TotalSteps(long epochs, DatasetMetadata meta, int batch) =>
        (long)(epochs * (double)meta.TotalGroups * meta.MeanPuzzleExamples / batch);

    /// <summary>The fewest epochs whose total_steps is exactly <paramref name="steps"/>, or else the fewest that reach it.</summary>
    public static (long Epochs, bool Exact) EpochsFor(long steps, DatasetMetadata meta, int batch)
    {
        double perEpoch = meta.TotalGroups * meta.MeanPuzzleExamples / batch;
        if (perEpoch <= 0) return (1, false);
        long guess = Math.Max(1, (long)Math.Floor(steps / perEpoch) - 2);
        for (long e = guess; e < guess + 6; e++)
        {
            long t = TotalSteps(e, meta, batch);
            if (t == steps) return (e, true);
            if (t > steps) return (e, false);
        }
        return (Math.Max(1, (long)Math.Ceiling(steps / perEpoch)), false);
    }

    static long NearestDivisor(long n, long target)
    {
        long best = 1;
        for (long d = 1; d * d <= n; d++)
        {
            if (n % d != 0) continue;
            foreach (var c in new[] { d, n / d })
                if (Math.Abs(c - target) < Math.Abs(best - target) || (Math.Abs(c - target) == Math.Abs(best - target) && c > best)) best = c;
        }
        return best;
    }

    /// <summary>Their float-typed fields (model and PretrainConfig): written with a decimal point, as yaml.dump does.</summary>
    static readonly HashSet<string> FloatFields =
        ["expansion", "rms_norm_eps", "rope_theta", "halt_exploration_prob", "lr", "lr_min_ratio", "weight_decay", "beta1", "beta2",
         "puzzle_emb_lr", "puzzle_emb_weight_decay", "ema_rate"];

    /// <summary>A YAML scalar that PyYAML's safe_load and OmegaConf read back as the same value and type.</summary>
    static string Scalar(string key, JsonNode? v)
    {
        if (v is null) return "null";
        if (v is JsonArray a) return a.Count == 0 ? "[]" : "[" + string.Join(", ", a.Select(x => Scalar(key, x))) + "]";
        var raw = v.ToJsonString();
        return v.GetValueKind() switch
        {
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.String => "'" + v.GetValue<string>().Replace("'", "''") + "'",
            JsonValueKind.Number when FloatFields.Contains(key) => PythonFloat(double.Parse(raw, CultureInfo.InvariantCulture)),
            JsonValueKind.Number when long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => i.ToString(CultureInfo.InvariantCulture),
            JsonValueKind.Number => PythonFloat(double.Parse(raw, CultureInfo.InvariantCulture)),
            _ => throw new HrmException($"cannot write {raw} as a YAML scalar"),
        };
    }

    /// <summary>A float as Python's yaml.dump writes it: repr, with ".0" added to an exponent form without a dot.</summary>
    public static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return ".nan";
        if (double.IsInfinity(d)) return d > 0 ? ".inf" : "-.inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip digits and exponent, then Python's repr rule: scientific below 1e-4 and from 1e16.
        var r = Math.Abs(d).ToString("E16", CultureInfo.InvariantCulture);
        var shortest = Math.Abs(d).ToString("R", CultureInfo.InvariantCulture);
        var digits = new string(shortest.TakeWhile(ch => ch != 'E').Where(char.IsDigit).ToArray()).TrimStart('0').TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int exp = int.Parse(r[(r.IndexOf('E') + 1)..], CultureInfo.InvariantCulture);
        string sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16)
        {
            var mant = digits.Length == 1 ? digits + ".0" : digits[0] + "." + digits[1..];
            return $"{sign}{mant}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        string s;
        if (exp >= 0)
        {
            var intPart = digits.Length > exp + 1 ? digits[..(exp + 1)] : digits.PadRight(exp + 1, '0');
            var frac = digits.Length > exp + 1 ? digits[(exp + 1)..] : "0";
            s = intPart + "." + frac;
        }
        else s = "0." + new string('0', -exp - 1) + digits;
        return sign + s;
    }

    // ------------------------------------------------------------------ import: all_config.yaml -> ours

    /// <summary>Reads an all_config.yaml (theirs or ours) into JSON: mappings, lists and PyYAML-typed scalars.</summary>
    public static JsonObject ReadYaml(string path)
    {
        if (!File.Exists(path)) throw new HrmException("not found") { File = path };
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e) { throw new HrmException($"invalid YAML: {e.Message.Split('\n')[0]}") { File = path }; }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new HrmException("expected one YAML mapping (their PretrainConfig)") { File = path };
        return (JsonObject)ToJson(root, path)!;
    }

    static JsonNode? ToJson(YamlNode node, string path)
    {
        bool explicitString = false;
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific)
        {
            var tag = node.Tag.Value;
            if (tag.StartsWith("tag:yaml.org,2002:python", StringComparison.Ordinal))
                throw new HrmException($"line {node.Start.Line}: a Python object tag ({tag}) is not a config value") { File = path };
            explicitString = tag == "tag:yaml.org,2002:str";
        }
        switch (node)
        {
            case YamlMappingNode m:
                var o = new JsonObject();
                foreach (var (k, v) in m.Children)
                {
                    var key = (k as YamlScalarNode)?.Value ?? throw new HrmException($"line {k.Start.Line}: a mapping key must be a scalar") { File = path };
                    if (o.ContainsKey(key)) throw new HrmException($"key '{key}' appears twice") { File = path };
                    o[key] = ToJson(v, path);
                }
                return o;
            case YamlSequenceNode s:
                return new JsonArray(s.Children.Select(c => ToJson(c, path)).ToArray());
            case YamlScalarNode sc:
                var text = sc.Value ?? "";
                if (explicitString || sc.Style is not YamlDotNet.Core.ScalarStyle.Plain) return JsonValue.Create(text);
                if (text is "" or "~" or "null" or "Null" or "NULL") return null;
                if (text is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (text is "false" or "False" or "FALSE") return JsonValue.Create(false);
                var clean = text.Replace("_", "");
                if (long.TryParse(clean, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (clean is ".inf" or "+.inf" or ".Inf" or "-.inf" or "-.Inf" or ".nan" or ".NaN")
                    throw new HrmException($"line {sc.Start.Line}: {text} is not a usable config value") { File = path };
                if (double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && (clean.Contains('.') || clean.Contains('e') || clean.Contains('E')))
                    return JsonValue.Create(d);
                return JsonValue.Create(text);
            default:
                throw new HrmException($"line {node.Start.Line}: unsupported YAML node") { File = path };
        }
    }

    /// <summary>
    /// Their arch mapping in our model-config field names (which are theirs): the architecture from "name" (also the
    /// TRM repository's copy of HRM), their defaults filled in for what is absent (ours differ: puzzle_emb_ndim is 0
    /// there), the dataset-derived fields dropped, and anything their model config lacks refused (their code would
    /// ignore it, so the weights would not be what the field says).
    /// </summary>
    public static JsonObject ArchToOurs(JsonNode? archNode, string source)
    {
        if (archNode is not JsonObject theirs) throw new HrmException($"{source}: 'arch' must be a mapping (their model config)");
        var nameNode = theirs["name"];
        if (nameNode?.GetValueKind() != JsonValueKind.String) throw new HrmException($"{source}: arch.name must be a string such as {Architecture.Hrm.ReferenceName}");
        var name = nameNode.GetValue<string>();
        bool trmRepoHrm = name == TrmRepositoryHrm;
        var arch = trmRepoHrm ? Architecture.Hrm : Architecture.FromName(name);
        Schema schema;
        try { schema = For(arch); }
        catch (HrmException e) { throw e.At(source); }
        var fields = schema.ArchFields.ToList();
        if (trmRepoHrm) fields.Add(("mlp_t", false));
        var result = new JsonObject { ["name"] = arch.ReferenceName };
        if (theirs["loss"] is JsonNode loss) result["loss"] = loss.DeepClone();
        var allowed = fields.Select(f => f.Key).Concat(DatasetDerived).Append("name").Append("loss").Append("causal").ToHashSet();
        foreach (var (key, _) in theirs)
            if (!allowed.Contains(key))
                throw new HrmException($"{source}: arch.{key} is not a field of their {schema.ClassName} (their code ignores it, so the model would not be what it says)");
        foreach (var (key, def) in fields)
        {
            var value = theirs[key]?.DeepClone() ?? def?.DeepClone();
            if (value is null)
            {
                if (theirs.ContainsKey(key) || def is null) throw new HrmException($"{source}: arch.{key} is missing (a required field of their {schema.ClassName})");
                continue;
            }
            if (trmRepoHrm && key == "mlp_t")
            {
                if (value.GetValueKind() == JsonValueKind.True) throw new HrmException($"{source}: arch.mlp_t true for {TrmRepositoryHrm}: an HRM with mlp_t blocks is not implemented here");
                continue;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary>The dataset path their config names (data_path, or the only entry of data_paths); null if none.</summary>
    public static string? DataPath(JsonObject config, string source)
    {
        if (config["data_path"] is JsonNode p && p.GetValueKind() == JsonValueKind.String) return p.GetValue<string>();
        if (config["data_paths"] is JsonArray list)
        {
            if (list.Count > 1) throw new HrmException($"data_paths lists {list.Count} datasets (their loader merges them; here one dataset is used): pass data_dir, the one dataset to use") { File = source, Key = "data_dir" };
            if (list.Count == 1 && list[0]?.GetValueKind() == JsonValueKind.String) return list[0]!.GetValue<string>();
        }
        return null;
    }

    /// <summary>The dataset to take vocab_size, seq_len and num_puzzle_identifiers from: <paramref name="dataDir"/>, else their data path.</summary>
    public static string ResolveData(JsonObject config, string yamlPath, string? dataDir)
    {
        if (dataDir is not null)
        {
            if (!Directory.Exists(dataDir)) throw new HrmException("data directory not found") { File = dataDir };
            return dataDir;
        }
        var hint = DataPath(config, yamlPath)
            ?? throw new HrmException("names no data_path: pass data_dir, the dataset the model was trained on") { File = yamlPath, Key = "data_dir" };
        // Their paths are relative to their code's folder; try it as given, then beside the checkpoint's folder.
        foreach (var candidate in new[] { hint, Path.Combine(Path.GetDirectoryName(Path.GetFullPath(yamlPath))!, hint) })
            if (Directory.Exists(candidate)) return candidate;
        throw new HrmException($"its data_path '{hint}' is not here: pass data_dir, the dataset the model was trained on (for vocab_size, seq_len and num_puzzle_identifiers)")
        { File = yamlPath, Key = "data_dir" };
    }

    /// <summary>The model an all_config.yaml describes, for the dataset <paramref name="dataDir"/> (or the one it names).</summary>
    public static ModelConfig ReadModelConfig(string yamlPath, string? dataDir = null)
    {
        var config = ReadYaml(yamlPath);
        var arch = ArchToOurs(config["arch"], yamlPath);
        var data = ResolveData(config, yamlPath, dataDir);
        var meta = PuzzleDatasetDirectory.ReadMetadata(data, "train");
        arch["vocab_size"] = meta.VocabSize;
        arch["seq_len"] = meta.SeqLen;
        arch["num_puzzle_identifiers"] = meta.NumPuzzleIdentifiers;
        arch["batch_size"] = config["global_batch_size"]?.GetValueKind() == JsonValueKind.Number
            ? (int)Math.Clamp(long.Parse(config["global_batch_size"]!.ToJsonString(), CultureInfo.InvariantCulture), 1, int.MaxValue) : 1;
        arch.Remove("causal");
        if (meta.Task is not null) arch["task"] = meta.Task;
        return ConfigJson.Parse(arch.ToJsonString(), $"{yamlPath} (arch, with {Path.Combine(data, "train", "dataset.json")})");
    }

    /// <summary>
    /// Their PretrainConfig as our train config JSON (for `hrm train --init-from` with their config): the shared
    /// fields, data_path, eval_interval, ema; what only their code does is refused (freeze_weights, several datasets,
    /// a separate test dataset) or dropped (names, paths, evaluators, min_eval_interval, eval_save_outputs).
    /// </summary>
    public static string ToOurTrainJson(string yamlPath)
    {
        var config = ReadYaml(yamlPath);
        foreach (var key in RequiredTrainFields)
            if (config[key] is null) throw new HrmException($"{key} is missing (a required field of their PretrainConfig)") { File = yamlPath };
        if (config["freeze_weights"]?.GetValueKind() == JsonValueKind.True)
            throw new HrmException("freeze_weights (train only the puzzle embeddings) is not supported here") { File = yamlPath };
        if (config["data_paths_test"] is JsonArray { Count: > 0 })
            throw new HrmException("data_paths_test (a separate test dataset) is not supported here: our runs evaluate the dataset's own test split") { File = yamlPath };
        var ours = new JsonObject { ["arch"] = ArchToOurs(config["arch"], yamlPath) };
        foreach (var key in new[] { "arch.batch_size", "arch.seq_len", "arch.vocab_size", "arch.num_puzzle_identifiers", "arch.causal" })
            ours["arch"]!.AsObject().Remove(key[5..]);
        if (DataPath(config, yamlPath) is string d) ours["data_path"] = d;
        foreach (var key in SharedTrainFields.Append("eval_interval").Append("ema").Append("ema_rate"))
            if (config[key] is JsonNode v) ours[key] = v.DeepClone();
        return ours.ToJsonString();
    }
}
