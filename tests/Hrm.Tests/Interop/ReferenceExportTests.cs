using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tests.Cli;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Hrm.Tests.Interop;

/// <summary>Three tiny trained runs (HRM with a puzzle table, TRM with EMA, the baseline in bfloat16), made once.</summary>
public sealed class ExportRuns : IDisposable
{
    public TempDirectory Tmp { get; } = new();
    public string Data => Path.Combine(Tmp.Path, "s4");
    public string Run(string arch) => Path.Combine(Tmp.Path, "run-" + arch);

    public ExportRuns()
    {
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "60", "--test", "10", "--out", Data, "--quiet", "--seed", "3");
        string[] common = ["--data", Data, "--set", "threads=1", "--set", "max_steps=6", "--set", "global_batch_size=8", "--set", "eval_every_steps=3",
            "--set", "eval_max_examples=8", "--set", "checkpoint_every_steps=3", "--set", "arch.hidden_size=32", "--set", "arch.halt_max_steps=2"];
        CliHarness.Ok(["train", "--preset", "sudoku4-cpu", "--out", Run("hrm"), "--set", "arch.puzzle_emb_ndim=32", "--set", "arch.H_layers=1", "--set", "arch.L_layers=1", .. common]);
        CliHarness.Ok(["train", "--preset", "trm-sudoku4-cpu", "--out", Run("trm"), "--set", "ema_rate=0.5", "--set", "arch.L_layers=1", .. common]);
        CliHarness.Ok(["train", "--preset", "transformer-sudoku4-cpu", "--out", Run("transformer"), "--set", "arch.forward_dtype=bfloat16", "--set", "arch.H_layers=1", .. common]);
    }

    public void Dispose() => Tmp.Dispose();
}

/// <summary>
/// `hrm export` to the authors' training code and back (issue 21): the state dict, its pickle, all_config.yaml,
/// launch.sh, reading their checkpoint folders back, --init-from, and the refusal of what their code cannot run.
/// </summary>
public sealed class ReferenceExportTests(ExportRuns runs, ITestOutputHelper log) : IClassFixture<ExportRuns>, IDisposable
{
    readonly TempDirectory tmp = new();
    public void Dispose() => tmp.Dispose();

    // The authors' PretrainConfig fields without defaults (both repositories' pretrain.py), and their model config
    // fields (hrm_act_v1.py, trm.py, transformers_baseline.py) less the four create_model fills in from the dataset.
    static readonly string[] Required = ["global_batch_size", "epochs", "lr", "lr_min_ratio", "lr_warmup_steps", "weight_decay", "beta1", "beta2", "puzzle_emb_lr", "puzzle_emb_weight_decay"];
    static readonly string[] HrmArch = ["puzzle_emb_ndim", "H_cycles", "L_cycles", "H_layers", "L_layers", "hidden_size", "expansion", "num_heads", "pos_encodings", "rms_norm_eps", "rope_theta", "halt_max_steps", "halt_exploration_prob", "forward_dtype"];
    // Every field of their PretrainConfig, in class order: sapientinc/HRM@42410da and TinyRecursiveModels@e7b6871 pretrain.py.
    static readonly string[] HrmPretrain = ["arch", "data_path", "global_batch_size", "epochs", "lr", "lr_min_ratio", "lr_warmup_steps", "weight_decay", "beta1", "beta2",
        "puzzle_emb_lr", "puzzle_emb_weight_decay", "project_name", "run_name", "checkpoint_path", "seed", "checkpoint_every_eval", "eval_interval", "eval_save_outputs"];
    static readonly string[] TrmPretrain = ["arch", "data_paths", "data_paths_test", "evaluators", "global_batch_size", "epochs", "lr", "lr_min_ratio", "lr_warmup_steps",
        "weight_decay", "beta1", "beta2", "puzzle_emb_lr", "puzzle_emb_weight_decay", "project_name", "run_name", "load_checkpoint", "checkpoint_path", "seed",
        "checkpoint_every_eval", "eval_interval", "min_eval_interval", "eval_save_outputs", "ema", "ema_rate", "freeze_weights"];
    static readonly Dictionary<string, (string Name, string[] Fields, bool List)> Schemas = new()
    {
        ["hrm"] = ("hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1", HrmArch, false),
        ["trm"] = ("recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1", [.. HrmArch, "mlp_t", "puzzle_emb_len", "no_ACT_continue"], true),
        ["transformer"] = ("recursive_reasoning.transformers_baseline@Model_ACTV2",
            ["puzzle_emb_ndim", "H_cycles", "H_layers", "hidden_size", "expansion", "num_heads", "pos_encodings", "rms_norm_eps", "rope_theta", "halt_max_steps", "halt_exploration_prob", "act_enabled", "act_inference", "forward_dtype"], true),
    };

    string Export(string arch)
    {
        var dir = Path.Combine(tmp.Path, "export-" + arch);
        var r = CliHarness.Ok("export", "--checkpoint", runs.Run(arch), "--out", dir, "--gpus", "4");
        log.WriteLine(r.Out);
        return dir;
    }

    static bool BitEqual(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.bytes.ToArray().SequenceEqual(b.bytes.ToArray());

    [Theory]
    [InlineData("hrm")]
    [InlineData("trm")]
    [InlineData("transformer")]
    public void Export_then_reimport_is_bit_identical_and_predicts_the_same(string arch)
    {
        var dir = Export(arch);
        var step = Path.Combine(dir, "step_6");
        Assert.True(File.Exists(step), "step_N is named by the checkpoint's step without leading zeros");

        // The file holds exactly the checkpoint's tensors, bit for bit, under the reference names.
        var ours = StateDictIO.Load(Path.Combine(runs.Run(arch), "checkpoints", "step_0000006", "model.safetensors"));
        var theirs = StateDictIO.Load(step);
        Assert.Equal(ours.Keys.Order(), theirs.Keys.Order());
        foreach (var (name, t) in ours) Assert.True(BitEqual(t, theirs[name]), name);
        Assert.All(theirs.Keys, k => Assert.StartsWith("_orig_mod.model.inner.", k));

        // Re-imported through all_config.yaml + the dataset it names: the same model, the same predictions.
        using (var back = ModelStore.Load(dir))
        using (var orig = ModelStore.Load(runs.Run(arch)))
        {
            Assert.Equal(ConfigJson.ToJson(orig.Config), ConfigJson.ToJson(back.Config));
            var a = ReferenceNames.Export(orig);
            foreach (var (name, t) in ReferenceNames.Export(back)) Assert.True(BitEqual(a[name], t), name);
        }
        var test = PuzzleDatasetDirectory.ReadSet(runs.Data, "test", "all");
        var inputs = Path.Combine(tmp.Path, "inputs.npy");
        Npy.WriteInt32(inputs, test.Inputs.Take(4 * 16).ToArray(), [4, 16]);
        CliHarness.Ok("predict", "--checkpoint", runs.Run(arch), "--inputs", inputs, "--out", Path.Combine(tmp.Path, "p-ours"), "--threads", "1");
        CliHarness.Ok("predict", "--checkpoint", step, "--inputs", inputs, "--out", Path.Combine(tmp.Path, "p-export"), "--threads", "1");
        foreach (var stem in new[] { "logits", "q_halt", "q_continue" })
            for (int m = 1; m <= 2; m++)
                Assert.Equal(Npy.Read(Path.Combine(tmp.Path, "p-ours", $"{stem}_{m}.npy")).ToFloat32(), Npy.Read(Path.Combine(tmp.Path, "p-export", $"{stem}_{m}.npy")).ToFloat32());

        // Their dtypes: float32 parameters and puzzle table, H_init/L_init in the forward dtype.
        var forward = arch == "transformer" ? ScalarType.BFloat16 : ScalarType.Float32;
        foreach (var (name, t) in theirs)
            Assert.True(t.dtype == (name.EndsWith("_init") ? forward : ScalarType.Float32), $"{name}: {t.dtype}");
        if (arch == "transformer") Assert.DoesNotContain("_orig_mod.model.inner.L_init", theirs.Keys);   // the baseline has no z_L
        if (arch == "hrm")
            Assert.Equal(new long[] { PuzzleDatasetDirectory.ReadMetadata(runs.Data, "train").NumPuzzleIdentifiers, 32 }, theirs["_orig_mod.model.inner.puzzle_emb.weights"].shape);

        // TRM with EMA: the EMA parameters (as their checkpoints hold them), not the raw training weights.
        if (arch == "trm")
        {
            var opt = StateDictIO.Load(Path.Combine(runs.Run(arch), "checkpoints", "step_0000006", "optimizer.safetensors"));
            const string lm = "inner.lm_head.weight";
            Assert.True(BitEqual(opt["ema." + lm], theirs[ReferenceNames.ToReference(lm)]));
            Assert.False(BitEqual(opt["raw." + lm], theirs[ReferenceNames.ToReference(lm)]));
        }

        // Their folder of checkpoints: the newest step_N by number, not by name.
        File.Copy(step, Path.Combine(dir, "step_5"));
        Assert.Equal(step, ModelStore.Resolve(dir).Weights);
        CliHarness.Ok("eval", "--checkpoint", dir, "--data", runs.Data, "--threads", "1", "--max-examples", "4");
    }

    [Theory]
    [InlineData("hrm")]
    [InlineData("trm")]
    [InlineData("transformer")]
    public void All_config_yaml_holds_every_field_their_PretrainConfig_requires(string arch)
    {
        var dir = Export(arch);
        var yaml = ReferenceConfig.ReadYaml(Path.Combine(dir, "all_config.yaml"));
        var (name, fields, list) = Schemas[arch];
        foreach (var key in Required) Assert.True(yaml[key] is not null, $"{key} missing");
        // Every field of their PretrainConfig written out (those with defaults too), and nothing else.
        Assert.Equal((list ? TrmPretrain : HrmPretrain).Order(), yaml.Select(kv => kv.Key).Order());
        var a = yaml["arch"]!.AsObject();
        Assert.Equal(name, a["name"]!.GetValue<string>());
        Assert.Equal("losses@ACTLossHead", a["loss"]!["name"]!.GetValue<string>());
        // Every field of their model config written out (their defaults differ from ours), nothing else.
        Assert.Equal(fields.Append("name").Append("loss").Order(), a.Select(kv => kv.Key).Order());
        if (list)
        {
            Assert.Equal(Path.GetFullPath(runs.Data), Assert.Single(yaml["data_paths"]!.AsArray())!.GetValue<string>());
            Assert.Empty(yaml["evaluators"]!.AsArray());   // their ARC evaluator only; this is Sudoku
            Assert.Null(yaml["data_path"]);
            Assert.True(yaml.ContainsKey("load_checkpoint"));
        }
        else
        {
            Assert.Equal(Path.GetFullPath(runs.Data), yaml["data_path"]!.GetValue<string>());
            Assert.Null(yaml["data_paths"]);
        }
        if (arch == "trm")
        {
            Assert.True(yaml["ema"]!.GetValue<bool>());
            Assert.Equal(0.5, yaml["ema_rate"]!.GetValue<double>());
        }
        // max_steps 6 becomes the fewest epochs that reach 6 steps by their total_steps rule (named in the header when
        // not exact); our-only keys are named in the header too.
        var meta = PuzzleDatasetDirectory.ReadMetadata(runs.Data, "train");
        long epochs = yaml["epochs"]!.GetValue<long>();
        long total = ReferenceConfig.TotalSteps(epochs, meta, 8);
        Assert.True(total >= 6 && (epochs == 1 || ReferenceConfig.TotalSteps(epochs - 1, meta, 8) < 6), $"epochs {epochs}: {total} steps");
        var text = File.ReadAllText(Path.Combine(dir, "all_config.yaml"));
        Assert.Contains(total == 6 ? "max_steps 6 -> epochs" : "max_steps 6 has no exact twin", text);
        Assert.StartsWith("# all_config.yaml", text);
        Assert.Contains("threads=1", text[..text.IndexOf("\narch:", StringComparison.Ordinal)]);
        Assert.Contains("1.0e-05", text);   // floats as yaml.dump writes them (PyYAML reads 1E-05 as a string)

        var launch = File.ReadAllText(Path.Combine(dir, "launch.sh"));
        Assert.Contains("torchrun --nproc-per-node 4 pretrain.py --config-path \"$HERE\" --config-name all_config", launch);
        Assert.Contains("load_checkpoint='$HERE/step_6'", launch);
        Assert.Contains(ReferenceConfig.TrmCommit, launch);

        // Their sampler splits each global batch evenly over the ranks: 8 rows on 3 GPUs is named.
        var r = CliHarness.Ok("export", "--checkpoint", runs.Run(arch), "--out", Path.Combine(tmp.Path, "gpus3-" + arch), "--gpus", "3");
        Assert.Contains("global_batch_size 8 is not a multiple of the 3 GPUs asked for", r.Out);
    }

    [Theory]
    [InlineData("hrm")]
    [InlineData("trm")]
    [InlineData("transformer")]
    public void The_pickle_names_only_the_allowed_globals(string arch)
    {
        var dir = Export(arch);
        using var zip = ZipFile.OpenRead(Path.Combine(dir, "step_6"));
        Assert.All(zip.Entries, e => Assert.StartsWith("step_6/", e.FullName));
        Assert.All(zip.Entries, e => Assert.Equal(e.Length, e.CompressedLength));   // stored, as torch.save writes
        byte[] pkl;
        using (var s = zip.GetEntry("step_6/data.pkl")!.Open()) { var m = new MemoryStream(); s.CopyTo(m); pkl = m.ToArray(); }
        var globals = PickleGlobals(pkl);
        Assert.Contains("torch._utils._rebuild_tensor_v2", globals);
        foreach (var g in globals)
            Assert.True(g is "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_parameter"
                || (g.StartsWith("torch.", StringComparison.Ordinal) && g.EndsWith("Storage", StringComparison.Ordinal) && !g[6..].Contains('.')), g);
    }

    /// <summary>The GLOBALs of a pickle, walking every opcode a state dict may hold; any other opcode fails the test.</summary>
    static List<string> PickleGlobals(byte[] p)
    {
        var globals = new List<string>();
        int i = 0;
        string Line() { int e = Array.IndexOf(p, (byte)'\n', i); var s = Encoding.ASCII.GetString(p, i, e - i); i = e + 1; return s; }
        while (true)
        {
            byte op = p[i++];
            switch (op)
            {
                case 0x80: i++; break;                                   // PROTO
                case (byte)'c': globals.Add(Line() + "." + Line()); break; // GLOBAL
                case (byte)'X': i += 4 + BitConverter.ToInt32(p, i); break;
                case (byte)'K': i += 1; break;
                case (byte)'M': i += 2; break;
                case (byte)'J': i += 4; break;
                case 0x8a: i += 1 + p[i]; break;                        // LONG1
                case (byte)'q': i += 1; break;                          // BINPUT
                case (byte)'h': i += 1; break;                          // BINGET
                case (byte)'r': case (byte)'j': i += 4; break;          // LONG_BINPUT / LONG_BINGET
                case (byte)'(': case (byte)')': case (byte)'}': case (byte)'t': case 0x85: case 0x86: case 0x87:
                case (byte)'R': case (byte)'Q': case (byte)'u': case (byte)'s': case 0x88: case 0x89: case (byte)'N': break;
                case (byte)'.': return globals;
                default: throw new Xunit.Sdk.XunitException($"unexpected pickle opcode 0x{op:x2} at {i - 1}");
            }
        }
    }

    [Theory]
    [InlineData("emb-rope")]
    [InlineData("small-rope")]
    [InlineData("trm-att")]
    [InlineData("trm-mlp")]
    public void Exported_names_shapes_and_dtypes_are_the_fixtures(string name)
    {
        var fixture = TestPaths.ParityFixture(name);
        var outDir = Path.Combine(tmp.Path, "ex");
        CliHarness.Ok("export", "--checkpoint", Path.Combine(fixture, "weights.safetensors"), "--out", outDir, "--weights-only");
        var state = StateDictIO.Load(Path.Combine(outDir, "step_0"));
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!["derived"]!["state_dict"]!.AsObject();
        Assert.Equal(expected.Select(kv => kv.Key).Order(), state.Keys.Order());
        foreach (var (key, spec) in expected)
        {
            Assert.Equal(spec!["shape"]!.AsArray().Select(x => x!.GetValue<long>()).ToArray(), state[key].shape);
            Assert.Equal(spec["dtype"]!.GetValue<string>(), state[key].dtype == ScalarType.Float32 ? "float32" : state[key].dtype.ToString());
        }
        var weights = StateDictIO.Load(Path.Combine(fixture, "weights.safetensors"));
        foreach (var (key, t) in weights) Assert.True(BitEqual(t, state[key]), key);

        // With forward_dtype bfloat16 their H_init and L_init are bfloat16 buffers; everything else stays float32.
        var bf = Path.Combine(tmp.Path, "bf16");
        Directory.CreateDirectory(bf);
        File.Copy(Path.Combine(fixture, "weights.safetensors"), Path.Combine(bf, "model.safetensors"));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!.AsObject();
        cfg["forward_dtype"] = "bfloat16";
        File.WriteAllText(Path.Combine(bf, "config.json"), cfg.ToJsonString());
        CliHarness.Ok("export", "--checkpoint", bf, "--out", Path.Combine(tmp.Path, "ex-bf16"), "--weights-only");
        foreach (var (key, t) in StateDictIO.Load(Path.Combine(tmp.Path, "ex-bf16", "step_0")))
            Assert.True(t.dtype == (key.EndsWith("H_init") || key.EndsWith("L_init") ? ScalarType.BFloat16 : ScalarType.Float32), key);
    }

    [Theory]
    [InlineData("emb-rope")]
    [InlineData("trm-att")]
    public void Init_from_a_fixture_reproduces_its_first_segment(string name)
    {
        var fixture = TestPaths.ParityFixture(name);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(fixture, "config.json")))!.AsObject();
        int seq = cfg["seq_len"]!.GetValue<int>(), vocab = cfg["vocab_size"]!.GetValue<int>(), ids = cfg["num_puzzle_identifiers"]!.GetValue<int>();
        var inputs = Npy.Read(Path.Combine(fixture, "inputs.npy")).ToInt32();
        var puzzleIds = Npy.Read(Path.Combine(fixture, "puzzle_identifiers.npy")).ToInt32();
        int rows = puzzleIds.Length;
        // A dataset of the fixture's shape: its rows, each its own puzzle and group (labels = inputs; unused here).
        var split = new PuzzleSplit(seq, inputs, inputs, puzzleIds, Enumerable.Range(0, rows + 1).ToArray(), Enumerable.Range(0, rows + 1).ToArray());
        var data = Path.Combine(tmp.Path, "data");
        PuzzleDatasetDirectory.Write(data, split, split, Enumerable.Range(0, ids).Select(i => i == 0 ? "<blank>" : $"p{i}").ToList(), vocab);

        // Our config with the fixture's arch; lr 0 keeps the weights as loaded through the one optimiser step.
        var arch = cfg.DeepClone().AsObject();
        foreach (var k in new[] { "derived", "fixture", "batch_size", "seq_len", "vocab_size", "num_puzzle_identifiers" }) arch.Remove(k);
        var train = new JsonObject
        {
            ["arch"] = arch, ["global_batch_size"] = rows, ["max_steps"] = 1, ["lr"] = 0, ["puzzle_emb_lr"] = 0, ["lr_warmup_steps"] = 0,
            ["threads"] = 1, ["ema"] = false,
        };
        var config = tmp.File("train.json", train.ToJsonString());
        var run = Path.Combine(tmp.Path, "run");
        var r = CliHarness.Ok("train", "--config", config, "--data", data, "--out", run, "--init-from", Path.Combine(fixture, "weights.pt"));
        Assert.Contains("initialised from", r.Out);
        Assert.Contains("weights only", r.Out);

        var outDir = Path.Combine(tmp.Path, "predict");
        CliHarness.Ok("predict", "--checkpoint", run, "--inputs", Path.Combine(fixture, "inputs.npy"), "--puzzle-ids", Path.Combine(fixture, "puzzle_identifiers.npy"),
            "--out", outDir, "--segments", "1", "--threads", "1");
        foreach (var stem in new[] { "logits", "q_halt", "q_continue" })
        {
            var ours = Npy.Read(Path.Combine(outDir, $"{stem}_1.npy")).ToFloat32();
            var expected = Npy.Read(Path.Combine(fixture, $"{stem}_1.npy")).ToFloat32();
            double max = ours.Zip(expected, (x, y) => (double)Math.Abs(x - y)).Max();
            log.WriteLine($"{name} {stem}_1 after --init-from: max |diff| {max:E2}");
            Assert.True(max < 1e-4, $"{stem}_1: {max:E2}");
        }
    }

    [Fact]
    public void A_grid_conv_run_is_refused_without_weights_only()
    {
        var cfg = (TrmConfig)new TrmConfig
        {
            BatchSize = 2, SeqLen = 16, VocabSize = 6, HiddenSize = 16, NumHeads = 2, HCycles = 1, LCycles = 1, LLayers = 1, HLayers = 0,
            PuzzleEmbNdim = 0, PuzzleEmbLenSetting = 0, PosEncodings = "learned", HaltMaxSteps = 2, ForwardDtype = "float32", GridConv = 3,
        }.Validate();
        var ck = Path.Combine(tmp.Path, "ck");
        using (var model = new ActModel(cfg, new TorchSharp.torch.Generator(1))) ModelStore.Save(ck, model);
        var outDir = Path.Combine(tmp.Path, "ex");
        CliHarness.Fails("grid_conv", "export", "--checkpoint", ck, "--out", outDir);
        Assert.False(File.Exists(Path.Combine(outDir, "step_0")));

        var r = CliHarness.Ok("export", "--checkpoint", ck, "--out", outDir, "--weights-only");
        Assert.Contains("config.json", r.Out);
        Assert.False(File.Exists(Path.Combine(outDir, "all_config.yaml")));
        using var back = ModelStore.Load(outDir);
        Assert.Equal(3, ((TrmConfig)back.Config).GridConv);
    }

    [Fact]
    public void Their_checkpoint_folder_loads_with_data_winning_over_their_path()
    {
        var dir = Export("hrm");
        // Their data path is only a hint: moved away, --data is needed and wins.
        var yamlPath = Path.Combine(dir, "all_config.yaml");
        File.WriteAllText(yamlPath, File.ReadAllText(yamlPath).Replace(Path.GetFullPath(runs.Data), "/nonexistent/sudoku"));
        CliHarness.Fails("pass --data", "solve", "--checkpoint", dir, "1..4..2..3..4..1");
        Assert.Contains("answer", CliHarness.Ok("solve", "--checkpoint", dir, "--data", runs.Data, "1..4..2..3..4..1").Out, StringComparison.OrdinalIgnoreCase);
        var solve = CliHarness.Ok("trace", "--checkpoint", Path.Combine(dir, "step_6"), "--data", runs.Data, "--index", "0", "--json", Path.Combine(tmp.Path, "t.json"));
        Assert.Contains("entries", solve.Out);
    }

    [Fact]
    public void A_resume_before_the_first_checkpoint_starts_from_the_init_from_weights_again()
    {
        var dir = Export("trm");
        var run = Path.Combine(tmp.Path, "more");
        CliHarness.Ok("train", "--init-from", dir, "--data", runs.Data, "--out", run, "--set", "max_steps=2", "--set", "threads=1", "--set", "eval_max_examples=4");
        Assert.Equal(Path.GetFullPath(dir), File.ReadAllText(Path.Combine(run, "init-from.txt")).Trim());
        // As if killed before its first checkpoint: the resume takes the same weights, not a fresh initialisation.
        Directory.Delete(Path.Combine(run, "checkpoints"), recursive: true);
        var r = CliHarness.Ok("train", "--resume", run, "--data", runs.Data);
        Assert.Contains("nothing to resume", r.Out);
        Assert.Contains("initialised from", r.Out);
        // With a checkpoint the run's own weights win: no second initialisation.
        var again = CliHarness.Ok("train", "--resume", run, "--data", runs.Data, "--set", "max_steps=3");
        Assert.DoesNotContain("initialised from", again.Out);
    }

    [Fact]
    public void Init_from_their_folder_takes_their_config_when_none_is_given()
    {
        var dir = Export("trm");
        var run = Path.Combine(tmp.Path, "more");
        var r = CliHarness.Ok("train", "--init-from", dir, "--data", runs.Data, "--out", run, "--set", "max_steps=2", "--set", "threads=1", "--set", "eval_max_examples=4");
        Assert.Contains("initialised from", r.Out);
        Assert.Contains("model: trm", r.Out);
        var saved = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "train_config.json")))!;
        Assert.True(saved["ema"]!.GetValue<bool>());
        Assert.Equal(32, saved["arch"]!["hidden_size"]!.GetValue<int>());
    }
}
