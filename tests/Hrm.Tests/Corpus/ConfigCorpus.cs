using System.Text.Json.Nodes;
using Hrm.Interop;
using Hrm.Training;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>Malformed training configs (train_config / presets, with "arch"), model configs (config.json) and --set overrides.</summary>
public static class ConfigCorpus
{
    static CorpusCase Text(string name, string expected, string json, IEnumerable<string>? overrides = null) => new("config", name, expected, dir =>
    {
        var path = Path.Combine(dir, "train.json");
        File.WriteAllText(path, json);
        return () => TrainConfig.Load(path, overrides);
    });

    /// <summary>The tiny-test preset with one change.</summary>
    static CorpusCase Train(string name, string expected, Action<JsonObject> change) => Text(name, expected, Changed(TinyTrainConfigJson, change));
    static CorpusCase Arch(string name, string expected, Action<JsonObject> change) => Train(name, expected, o => change(o["arch"]!.AsObject()));
    static CorpusCase Set(string name, string expected, params string[] overrides) => Text(name, expected, TinyTrainConfigJson, overrides);

    static CorpusCase Model(string name, string expected, Action<JsonObject> change) => new("config", "model-" + name, expected, dir =>
    {
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, Changed(ConfigJson.ToJson(TinyModel), change));
        return () => ConfigJson.Load(path);
    });

    static string Changed(string json, Action<JsonObject> change)
    {
        var o = JsonNode.Parse(json, documentOptions: new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.AsObject();
        change(o);
        return o.ToJsonString();
    }

    public static IEnumerable<CorpusCase> Cases()
    {
        yield return Text("empty", "invalid JSON", "");
        yield return Text("not-json", "invalid JSON", "lr = 1e-3");
        yield return Text("array", "must be a JSON object", "[]");
        yield return Text("number", "must be a JSON object", "5");
        yield return Text("truncated", "invalid JSON", TinyTrainConfigJson[..200]);
        yield return Text("deep-nesting", "invalid JSON", "{\"arch\": " + string.Concat(Enumerable.Repeat("{\"a\": ", 2000)) + "1" + new string('}', 2001));
        yield return Text("duplicate-key", "'lr' appears twice", "{\"lr\": 1e-3, \"lr\": 5}");
        yield return Train("unknown-key", "unknown config key 'learning_rate'", o => o["learning_rate"] = 1e-3);
        yield return Arch("unknown-arch-key", "unknown config key 'arch.hidden'", o => o["hidden"] = 32);
        yield return Train("lr-string", "bad value for 'lr'", o => o["lr"] = "fast");
        yield return Train("lr-negative", "lr must be", o => o["lr"] = -1e-3);
        yield return Train("lr-huge-literal", "lr must be", o => o["lr"] = JsonNode.Parse("1e999"));
        yield return Train("batch-fraction", "bad value for 'global_batch_size'", o => o["global_batch_size"] = 1.5);
        yield return Train("batch-zero", "global_batch_size must be in 1..1,048,576", o => o["global_batch_size"] = 0);
        yield return Train("batch-negative", "global_batch_size must be in 1..1,048,576", o => o["global_batch_size"] = -32);
        yield return Train("batch-huge", "global_batch_size", o => o["global_batch_size"] = int.MaxValue);
        yield return Train("beta1-above-one", "beta1 must be in [0, 1)", o => o["beta1"] = 1.5);
        yield return Train("beta1-one", "beta1 must be in [0, 1)", o => o["beta1"] = 1.0);
        yield return Train("beta2-negative", "beta2 must be in [0, 1)", o => o["beta2"] = -0.1);
        yield return Train("beta1-string", "bad value for 'beta1'", o => o["beta1"] = "0.9");
        yield return Train("weight-decay-negative", "weight_decay must be >= 0", o => o["weight_decay"] = -0.1);
        yield return Train("puzzle-emb-weight-decay-negative", "puzzle_emb_weight_decay must be >= 0", o => o["puzzle_emb_weight_decay"] = -1);
        yield return Train("puzzle-emb-lr-negative", "puzzle_emb_lr must be", o => o["puzzle_emb_lr"] = -1);
        yield return Train("lr-min-ratio-above-one", "lr_min_ratio must be in [0, 1]", o => o["lr_min_ratio"] = 2);
        yield return Train("warmup-negative", "lr_warmup_steps must be >= 0", o => o["lr_warmup_steps"] = -5);
        yield return Train("epochs-zero", "epochs must be >= 1", o => o["epochs"] = 0);
        yield return Train("eval-interval-zero", "eval_interval must be >= 1 or null", o => o["eval_interval"] = 0);
        yield return Train("max-steps-zero", "max_steps must be >= 1 or null", o => o["max_steps"] = 0);
        yield return Train("max-minutes-negative", "max_minutes must be > 0 or null", o => o["max_minutes"] = -1);
        yield return Train("eval-every-zero", "eval_every_steps must be >= 1 or null", o => o["eval_every_steps"] = 0);
        yield return Train("eval-max-examples-zero", "eval_max_examples must be >= 1 or null", o => o["eval_max_examples"] = 0);
        yield return Train("checkpoint-every-zero", "checkpoint_every_steps must be >= 1 or null", o => o["checkpoint_every_steps"] = 0);
        yield return Train("log-every-zero", "log_every_steps must be >= 1", o => o["log_every_steps"] = 0);
        yield return Train("threads-negative", "threads must be >= 0", o => o["threads"] = -1);
        yield return Train("micro-batch-zero", "micro_batch_size must be >= 1 or null", o => o["micro_batch_size"] = 0);
        yield return Train("device-tpu", "device must be cpu or cuda", o => o["device"] = "tpu");
        yield return Train("device-cuda-letter", "device must be cpu or cuda", o => o["device"] = "cuda:x");
        yield return Train("device-number", "bad value for 'device'", o => o["device"] = 0);
        yield return Train("seed-string", "bad value for 'seed'", o => o["seed"] = "abc");
        yield return Train("arch-null", "arch", o => o["arch"] = null);
        yield return Train("arch-array", "bad value for 'arch'", o => o["arch"] = new JsonArray());
        yield return Arch("heads-do-not-divide", "hidden_size must be a positive multiple of num_heads", o => { o["hidden_size"] = 30; o["num_heads"] = 4; });
        yield return Arch("heads-zero", "num_heads must be >= 1", o => o["num_heads"] = 0);
        yield return Arch("hidden-zero", "hidden_size must be in 1..16,384, multiple of num_heads", o => o["hidden_size"] = 0);
        yield return Arch("hidden-huge", "hidden_size must be in 1..16,384, multiple of num_heads", o => { o["hidden_size"] = 1 << 30; o["num_heads"] = 2; });
        yield return Arch("rope-odd-head-dim", "must be even for rope", o => { o["hidden_size"] = 30; o["num_heads"] = 2; o["pos_encodings"] = "rope"; });
        yield return Arch("halt-max-steps-zero", "halt_max_steps must be in 1..1024", o => o["halt_max_steps"] = 0);
        yield return Arch("halt-max-steps-huge", "halt_max_steps must be", o => o["halt_max_steps"] = 1_000_000_000);
        yield return Arch("exploration-above-one", "halt_exploration_prob must be in [0, 1]", o => o["halt_exploration_prob"] = 2);
        yield return Arch("h-cycles-zero", "H_cycles must be in 1..256", o => o["H_cycles"] = 0);
        yield return Arch("l-layers-zero", "L_layers must be in 1..256", o => o["L_layers"] = 0);
        yield return Arch("layers-huge", "H_layers must be in 0..256, >= 1 for HRM and the baseline", o => o["H_layers"] = 100_000);
        yield return Arch("expansion-zero", "expansion must be in (0, 64]", o => o["expansion"] = 0);
        yield return Arch("expansion-huge", "expansion must be", o => o["expansion"] = 1e9);
        yield return Arch("rms-eps-zero", "rms_norm_eps must be > 0", o => o["rms_norm_eps"] = 0);
        yield return Arch("rope-theta-negative", "rope_theta must be > 0", o => o["rope_theta"] = -1);
        yield return Arch("pos-encodings-unknown", "pos_encodings must be rope, learned", o => o["pos_encodings"] = "sinusoidal");
        yield return Arch("forward-dtype-unknown", "forward_dtype must be float32, bfloat16 or auto", o => o["forward_dtype"] = "float16");
        yield return Arch("forward-dtype-number", "bad value for 'arch.forward_dtype'", o => o["forward_dtype"] = 16);
        yield return Arch("puzzle-emb-negative", "puzzle_emb_ndim must be in 0..65,536", o => o["puzzle_emb_ndim"] = -1);
        yield return Arch("loss-name-unknown", "loss.name must be losses@ACTLossHead", o => o["loss"]!["name"] = "losses@MSE");
        yield return Arch("loss-type-unknown", "loss_type must be stablemax_cross_entropy or softmax_cross_entropy", o => o["loss"]!["loss_type"] = "mse");
        yield return Arch("loss-type-number", "loss_type must be", o => o["loss"]!["loss_type"] = 5);
        yield return Arch("loss-name-number", "loss.name must be", o => o["loss"]!["name"] = 5);
        yield return Arch("loss-not-object", "'loss' must be an object", o => o["loss"] = "stablemax");
        yield return Arch("loss-extra-key", "unknown key 'loss.weight'", o => o["loss"]!["weight"] = 1);
        yield return Arch("top-level-loss-type-number", "loss_type must be", o => { o.Remove("loss"); o["loss_type"] = 3; });
        yield return Set("set-without-equals", "must be key=value", "lr");
        yield return Set("set-empty-key", "must be key=value", "=1");
        yield return Set("set-unknown-key", "unknown config key 'nope'", "nope=1");
        yield return Set("set-unknown-arch-key", "unknown config key 'arch.nope'", "arch.nope=1");
        yield return Set("set-beta1", "beta1 must be in [0, 1)", "beta1=1.5");
        yield return Set("set-word-for-number", "bad value for 'lr'", "lr=fast");
        yield return Set("set-loss-name", "loss.name must be losses@ACTLossHead", "arch.loss.name=other");
        yield return Set("set-heads", "multiple of num_heads", "arch.num_heads=3");
        yield return Set("set-into-number", "bad value for 'lr'", "lr.x=1");
        yield return Model("unknown-key", "unknown config key 'hidden'", o => o["hidden"] = 3);
        yield return Model("vocab-one", "vocab_size must be in 2..1,048,576", o => o["vocab_size"] = 1);
        yield return Model("seq-len-zero", "seq_len must be in 1..1,048,576", o => o["seq_len"] = 0);
        yield return Model("identifiers-zero", "num_puzzle_identifiers must be in 1..134,217,728", o => o["num_puzzle_identifiers"] = 0);
        yield return Model("batch-word", "bad value for 'batch_size'", o => o["batch_size"] = "many");
        yield return Model("loss-type-number", "loss_type must be", o => { o.Remove("loss"); o["loss_type"] = 1; });
        yield return Model("not-object", "config must be a JSON object", o => { }) with { Build = dir => { var p = Path.Combine(dir, "config.json"); File.WriteAllText(p, "[1]"); return () => ConfigJson.Load(p); } };
        yield return Model("empty", "invalid JSON", o => { }) with { Build = dir => { var p = Path.Combine(dir, "config.json"); File.WriteAllText(p, ""); return () => ConfigJson.Load(p); } };
        yield return Model("duplicate-key", "'hidden_size' appears twice", o => { }) with { Build = dir => { var p = Path.Combine(dir, "config.json"); File.WriteAllText(p, "{\"hidden_size\": 16, \"hidden_size\": 32}"); return () => ConfigJson.Load(p); } };
    }
}
