using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tests.Cli;
using Hrm.Tests.Model;
using Hrm.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Tests.Training;

/// <summary>
/// Several grid sizes in one run (issue 31): `hrm data maze --size 7,9` writes one dataset per size, training reads
/// them as one run whose batches each hold one size (the mix drawn from the seed and the batch number, so resume is
/// exact), each size keeps its own carry and segment budget, evaluation reports every size, and a model whose weights
/// fix its size is refused. Also the two depth levers beside it: progressive_segments, and HRM without positions
/// beside a token mixer.
/// </summary>
public class SizeMixTests
{
    /// <summary>A two-size maze dataset, built once per test through the CLI as a user builds it.</summary>
    static string TwoSizes(TempDirectory tmp, string sizes = "7,9", int train = 40)
    {
        var dir = Path.Combine(tmp.Path, "mazes");
        CliHarness.Ok("data", "maze", "--style", "mixed", "--size", sizes, "--train", train.ToString(), "--test", "6", "--out", dir, "--seed", "3");
        return dir;
    }

    /// <summary>maze-hard-cpu made tiny: the preset's size-free TRM (grid_conv 3, no positions), float32, one thread.</summary>
    static TrainConfig Tiny(params string[] extra) => TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "maze-hard-cpu.json"),
        ["arch.hidden_size=16", "arch.num_heads=2", "arch.halt_max_steps=3", "arch.halt_max_steps_per_side=0.4", "arch.forward_dtype=float32",
         "global_batch_size=8", "max_steps=12", "max_minutes=null", "log_every_steps=1", "eval_every_steps=null", "eval_max_examples=null",
         "checkpoint_every_steps=null", "threads=1", "lr_warmup_steps=2", .. extra]);

    [Fact]
    public void The_data_command_writes_one_dataset_per_size_and_training_reads_them_as_one_run()
    {
        using var tmp = new TempDirectory();
        var dir = TwoSizes(tmp, "9,7");   // any order: the parts are sorted
        Assert.Equal(["7x7", "9x9"], Directory.GetDirectories(dir).Select(Path.GetFileName).Order());
        Assert.Equal(49, PuzzleDatasetDirectory.ReadMetadata(Path.Combine(dir, "7x7"), "train").SeqLen);
        Assert.Equal(81, PuzzleDatasetDirectory.ReadMetadata(Path.Combine(dir, "9x9"), "test").SeqLen);

        var data = TrainingData.Load(dir);
        Assert.Equal(49, data.Train.Metadata.SeqLen);                       // the smallest size is the model's own
        Assert.Equal([81], data.OtherSizes.Select(s => s.Metadata.SeqLen));
        Assert.Equal(["7x7", "9x9"], data.Test.Select(s => s.Name));
        Assert.Equal("9x9/test/all__inputs.npy", data.Test[1].FileOf("inputs"));
        // One part alone is a plain dataset.
        Assert.Empty(TrainingData.Load(Path.Combine(dir, "9x9")).OtherSizes);
    }

    [Theory]
    [InlineData("must be a side", "--size", "7,x")]
    [InlineData("names a side twice", "--size", "7,7")]
    [InlineData("one length for one size", "--size", "7,9", "--min-path", "5")]
    [InlineData("one length for one size", "--size", "7,9", "--train-min-path", "5")]
    [InlineData("takes its size from the file", "--size", "7,9", "--csv-train", "a.csv", "--csv-test", "b.csv")]
    public void The_data_command_refuses_bad_size_lists(string message, params string[] args)
    {
        using var tmp = new TempDirectory();
        CliHarness.Fails(message, ["data", "maze", "--train", "4", "--test", "2", "--out", Path.Combine(tmp.Path, "d"), .. args]);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "d")));
    }

    [Fact]
    public void Two_parts_of_one_size_are_refused()
    {
        using var tmp = new TempDirectory();
        var dir = TwoSizes(tmp);
        CopyFolder(Path.Combine(dir, "7x7"), Path.Combine(dir, "7x7-again"));
        var e = Assert.Throws<HrmException>(() => TrainingData.Load(dir));
        Assert.Contains("same seq_len 49", e.Message);
    }

    static PuzzleSet Set(int seqLen, int examples, int firstToken)
    {
        var inputs = new int[examples * seqLen];
        for (int i = 0; i < examples; i++) inputs.AsSpan(i * seqLen, seqLen).Fill(firstToken + i);
        var split = new PuzzleSplit(seqLen, inputs, (int[])inputs.Clone(), new int[examples], Enumerable.Range(0, examples + 1).ToArray(), Enumerable.Range(0, examples + 1).ToArray());
        return PuzzleSet.InMemory(split, vocabSize: 1000);
    }

    [Fact]
    public void The_size_mix_puts_one_size_in_a_batch_in_the_data_s_proportions_and_skips_exactly_on_resume()
    {
        var sets = new[] { Set(4, 300, 1), Set(9, 100, 500) };
        var mix = new SizeMixSampler(sets, globalBatchSize: 5, seed: 7, epochsPerIteration: 3);
        var batches = mix.Batches().Take(400).Select(b => b.Batch).ToList();
        foreach (var b in batches)
            Assert.True(b.SeqLen == 4 ? b.Inputs.All(t => t < 500) : b.SeqLen == 9 && b.Inputs.All(t => t >= 500), "a batch holds one size");
        // 3 examples of the first size for 1 of the second: 75% of the batches, within sampling noise.
        Assert.InRange(batches.Count(b => b.SeqLen == 4), 270, 330);
        // The same seed gives the same stream; a resume that skips 37 batches continues it exactly.
        Assert.Equal(batches.SelectMany(b => b.Inputs), new SizeMixSampler(sets, 5, 7, 3).Batches().Take(400).SelectMany(b => b.Batch.Inputs));
        Assert.Equal(batches.Skip(37).SelectMany(b => b.Inputs), new SizeMixSampler(sets, 5, 7, 3).Batches(skipBatches: 37).Take(363).SelectMany(b => b.Batch.Inputs));
        Assert.NotEqual(batches.Select(b => b.SeqLen), new SizeMixSampler(sets, 5, 8, 3).Batches().Take(400).Select(b => b.Batch.SeqLen));
    }

    [Fact]
    public void A_run_of_two_sizes_keeps_a_carry_per_size_evaluates_both_and_resumes_exactly()
    {
        using var tmp = new TempDirectory();
        var data = TwoSizes(tmp);
        var config = Tiny();
        var full = Path.Combine(tmp.Path, "full");
        var result = TrainingRun.Start(config, data, full);
        Assert.Equal(12, result.Steps);
        Assert.Equal(["7x7", "9x9"], result.LastEvaluation!.Sets.Keys.Order());
        // Each size with its own budget: 3 on its own 7x7, ceil(0.4 x 9) = 4 on 9x9.
        Assert.Equal(3, result.LastEvaluation.Sets["7x7"].MeanSegments);
        Assert.Equal(4, result.LastEvaluation.Sets["9x9"].MeanSegments);
        var opt = StateDictIO.Load(new RunFolder(full).Latest!.OptimizerPath);
        Assert.Equal(49, opt["carry.inputs"].shape[1]);
        Assert.Equal(81, opt["carry_81.inputs"].shape[1]);

        var split = Path.Combine(tmp.Path, "split");
        using (var cts = new CancellationTokenSource())
            Assert.Equal(6, TrainingRun.Start(config, data, split, new StopAt(6, cts), cancel: cts.Token).Steps);
        Assert.Equal(12, TrainingRun.Start(config, data, split, resume: true).Steps);
        var a = StateDictIO.Load(new RunFolder(full).Latest!.ModelPath);
        var b = StateDictIO.Load(new RunFolder(split).Latest!.ModelPath);
        foreach (var (name, t) in a) Assert.True(t.eq(b[name]).all().item<bool>(), $"{name} differs after a resume of a two-size run");
    }

    sealed class StopAt(long step, CancellationTokenSource cts) : ITrainingObserver
    {
        public void OnStep(TrainProgress p) { if (p.Step == step) cts.Cancel(); }
    }

    [Fact]
    public void A_model_whose_weights_fix_its_size_is_refused_for_several_sizes_by_the_weight_s_name()
    {
        using var tmp = new TempDirectory();
        var data = TwoSizes(tmp);
        var e = Assert.Throws<HrmException>(() => TrainingRun.Start(Tiny("arch.pos_encodings=learned"), data, Path.Combine(tmp.Path, "run")));
        Assert.Contains("several grid sizes", e.Message);
        Assert.Contains("embed_pos", e.Message);
    }

    [Fact]
    public void Eval_of_a_folder_of_sizes_reports_each_size()
    {
        using var tmp = new TempDirectory();
        var data = TwoSizes(tmp);
        var run = Path.Combine(tmp.Path, "run");
        TrainingRun.Start(Tiny("max_steps=2"), data, run);
        var json = Path.Combine(tmp.Path, "eval.json");
        CliHarness.Ok("eval", "--checkpoint", run, "--data", data, "--json", json, "--threads", "1");
        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.Equal(["7x7", "9x9"], doc.Select(kv => kv.Key).Order());
        Assert.Equal(6, (int)doc["9x9"]!["count"]!);
        Assert.NotNull(doc["9x9"]!["exact_accuracy"]);
        Assert.NotNull(doc["9x9"]!["valid_accuracy"]);

        // The curve of each size, from the run's own evaluations; a set the run never evaluated is named.
        var png = Path.Combine(tmp.Path, "sizes.png");
        var curve = CliHarness.Ok("curve", "--run", run, "--set", "7x7", "--set", "9x9", "--out", png);
        Assert.Contains("run 7x7: 1 evaluations", curve.Out);
        Assert.Contains("run 9x9: 1 evaluations", curve.Out);
        Assert.True(new FileInfo(png).Length > 1000);
        CliHarness.Fails("no evaluation of set '11x11'", "curve", "--run", run, "--set", "11x11", "--out", png);
    }

    // ---------------------------------------------------------------- depth: progressive_segments

    static (ActCarry Carry, Tensor Logits) Run(ActModel model, bool training, int calls, ulong seed)
    {
        if (training) model.train(); else model.eval();
        var inputs = randint(1, 6, [3, 16], generator: new Generator(5));
        var batch = new PuzzleBatch(inputs, inputs.clone(), zeros(3, ScalarType.Int64));
        var carry = model.InitialCarry(batch);
        var generator = new Generator(seed);
        Tensor logits = null!;
        for (int i = 0; i < calls; i++)
        {
            var (next, output) = model.forward(carry, batch, generator);
            carry = next;
            logits = output.Logits;
        }
        return (carry, logits);
    }

    [Fact]
    public void Progressive_segments_run_extra_segments_in_training_only_and_do_not_count_them()
    {
        manual_seed(21);
        const string sizeFree = ", \"grid_conv\": 3, \"pos_encodings\": \"none\", \"puzzle_emb_ndim\": 0, \"puzzle_emb_len\": 0, \"halt_max_steps\": 20, \"halt_exploration_prob\": 1.0";
        using var plain = new ActModel(TrmTests.Small(sizeFree));
        using var progressive = new ActModel(TrmTests.Small(sizeFree + ", \"progressive_segments\": 3"));
        progressive.load_state_dict(plain.state_dict());
        using var scope = NewDisposeScope();
        // Evaluation: the same weights compute the same answers; the key is training's alone.
        Assert.True(Run(plain, false, 2, 1).Logits.allclose(Run(progressive, false, 2, 1).Logits, 0, 0));
        // Training: the state has moved further than the plain model's, but the step count is the same.
        var (p, _) = Run(plain, true, 4, 1);
        var (q, _) = Run(progressive, true, 4, 1);
        Assert.False(p.Inner.ZH.allclose(q.Inner.ZH), "progressive segments must advance the state");
        Assert.Equal(p.Steps.to(ScalarType.Int64).data<long>().ToArray(), q.Steps.to(ScalarType.Int64).data<long>().ToArray());
        // Seeded: the same generator seed gives the same state.
        Assert.True(q.Inner.ZH.allclose(Run(progressive, true, 4, 1).Carry.Inner.ZH, 0, 0));
    }

    [Theory]
    [InlineData(", \"progressive_segments\": -1", "progressive_segments")]
    [InlineData(", \"progressive_segments\": 65", "progressive_segments")]
    public void Bad_progressive_segments_are_refused(string extra, string key)
    {
        var e = Assert.Throws<HrmException>(() => TrmTests.Small(extra));
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void Progressive_segments_are_named_as_ours_when_exporting_to_the_authors_code() =>
        Assert.Contains(ReferenceConfig.Unsupported(TrmTests.Small(", \"progressive_segments\": 2")), r => r.Contains("progressive_segments"));

    // ---------------------------------------------------------------- HRM beside a token mixer

    static HrmConfig Hrm(string extra) => (HrmConfig)ConfigJson.Parse(
        "{\"name\": \"hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\", \"seq_len\": 16, \"vocab_size\": 6, \"hidden_size\": 16, \"num_heads\": 2, " +
        "\"H_layers\": 1, \"L_layers\": 1, \"H_cycles\": 2, \"L_cycles\": 2, \"puzzle_emb_ndim\": 0, \"batch_size\": 2, \"forward_dtype\": \"float32\", " +
        "\"halt_max_steps\": 2" + extra + "}", "test");

    [Fact]
    public void HRM_runs_without_positions_only_beside_a_token_mixer_and_then_on_any_size()
    {
        var c = Hrm(", \"pos_encodings\": \"none\", \"grid_conv\": 3");
        using var model = new ActModel(c);
        using var big = model.ForSeqLen(49);
        Assert.Equal(49, big.Config.SeqLen);
        var e = Assert.Throws<HrmException>(() => Hrm(", \"pos_encodings\": \"none\""));
        Assert.Contains("or none beside grid_conv or cell_groups", e.Message);
    }

    [Fact]
    public void The_HRM_maze_preset_builds_the_same_block_calls_per_segment_as_the_TRM_one()
    {
        var meta = new DatasetMetadata(0, 0, 0, 6, 121, 1, 1, 1, ["all"]);
        var hrm = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "hrm-maze-cpu.json")).ModelConfig(meta);
        var trm = TrainConfig.Load(Path.Combine(TestPaths.RepoRoot, "configs", "maze-hard-cpu.json")).ModelConfig(meta);
        Assert.IsType<HrmConfig>(hrm);
        Assert.Equal(trm.BlocksPerSegment, hrm.BlocksPerSegment);
        Assert.Equal("grid_conv 3", hrm.MixerName);
    }

    static void CopyFolder(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}
