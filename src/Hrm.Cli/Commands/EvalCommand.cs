using System.CommandLine;
using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Runtime;
using Hrm.Tasks.Arc;
using Hrm.Training;
using Spectre.Console;

namespace Hrm.Cli.Commands;

/// <summary>`hrm eval`: metrics of a checkpoint on a dataset's test split, per set.</summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = Common.CheckpointHelp, Required = true };
        var config = new Option<string?>("--config") { Description = "Model config JSON, if not beside the weights." };
        var data = new Option<string>("--data") { Description = "Dataset directory; its test split is evaluated.", Required = true };
        var json = new Option<string?>("--json") { Description = "Write {SET: {count, exact_accuracy, token_accuracy, mean_segments, q_halt_accuracy, valid_accuracy, exact_by_segment, segment_histogram, by_difficulty (maze path length, Sudoku blanks), ...}} to this file." };
        var batch = new Option<int?>("--batch") { Description = "Rows in one forward pass (default 256, fewer on large grids: 256 x 128 tokens at most, 36 rows of 30x30 mazes, which bounds the memory; with --samples a batch holds batch / candidates puzzles)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Segments to run at test time (default: the model's halt_max_steps); more than that keeps the carried state going (inference-time scaling)." };
        var tta = new Option<int>("--tta") { Description = "Test-time augmentation: vote over K views of each puzzle (Sudoku: relabelling, transpose, band/stack permutations; maze: dihedral maps; ARC: its augmentations); reported beside the plain figures.", DefaultValueFactory = _ => 0 };
        var maxExamples = new Option<int?>("--max-examples") { Description = "Score only the first N examples of each test set (a quick look at a large or slow set)." };
        var ttaSeed = new Option<int>("--tta-seed") { Description = "Seed of the test-time views.", DefaultValueFactory = _ => 0 };
        var arcSource = new Option<string?>("--arc-source") { Description = "ARC: the task file(s) (a folder of task JSON or a Kaggle challenges file with its solutions) whose test outputs score the votes over all augmented test rows: pass@1/2/5/10 per task and overall." };
        var submission = new Option<string?>("--submission") { Description = "ARC: write the Kaggle submission JSON ({task: [{attempt_1, attempt_2}, ...]}) here (needs --arc-source)." };
        var halt = Common.HaltOptions.Create();
        var search = Common.SearchOptionSet.Create();
        var dtype = Common.InferenceDtypeOption();
        var threads = Common.ThreadsOption();
        var device = Common.DeviceOption();
        var cmd = new Command("eval", """
            Evaluate a checkpoint on a dataset's test split: exact, token and valid accuracy, accuracy after each segment,
            segments used, and optionally test-time augmentation and ARC pass@K.
            Examples:
              hrm eval --checkpoint runs/sudoku4 --data data/sudoku4
              hrm eval --checkpoint runs/sudoku4/checkpoints/step_0004000 --data data/sudoku4 --json metrics.json --early-exit
              hrm eval --checkpoint runs/sudoku4 --data data/sudoku4 --halt-rule stable --max-steps 16 --tta 8
              hrm eval --checkpoint runs/maze30 --data data/maze30 --max-examples 200 --json maze30.json
              hrm eval --checkpoint runs/arc --data data/arc-aug --arc-source ../shared/data/arc/evaluation --submission submission.json
            """) { checkpoint, config, data, json, batch, maxSteps, maxExamples, tta, ttaSeed, arcSource, submission, halt.EarlyExit, halt.Rule, halt.Threshold, dtype, threads, device };
        foreach (var o in search.All) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int? batchSize = parse.GetValue(batch);
            if (batchSize is < 1) throw new HrmException($"--batch must be >= 1, got {batchSize}");
            if (parse.GetValue(maxSteps) is < 1) throw new HrmException("--max-steps must be >= 1");
            if (parse.GetValue(tta) < 0) throw new HrmException("--tta must be >= 0");
            if (parse.GetValue(maxExamples) is < 1) throw new HrmException("--max-examples must be >= 1");
            if (parse.GetValue(submission) is not null && parse.GetValue(arcSource) is null) throw new HrmException("--submission needs --arc-source");
            Common.SetThreads(parse.GetValue(threads));
            var dev = TorchRuntime.ParseDevice(parse.GetValue(device)!);
            var dataDir = parse.GetValue(data)!;
            if (!Directory.Exists(dataDir)) throw new HrmException($"{dataDir}: data directory not found");
            var sets = PuzzleSet.ReadAll(dataDir, "test");
            // A size-free model (grid_conv) runs on another grid size with the same weights and a budget for that size.
            SizedModels Load(string? forwardDtype) => new(ModelStore.Load(parse.GetValue(checkpoint)!, parse.GetValue(config), dev, forwardDtype, dataDir));
            var requested = parse.GetValue(dtype) is string d ? PrecisionProbe.Check(d) : null;
            var models = Load(requested == "auto" ? null : requested);
            ActModel model;
            try
            {
                model = Evaluator.Fit(models, sets[0], dataDir);
                // A checkpoint saved with forward_dtype auto decides here too, as --dtype auto does.
                if (requested is null && model.Config.ForwardDtype == "auto") requested = "auto";
                if (requested == "auto")
                {
                    // Decided on this model's own no-gradient segment at the evaluation batch (both timings printed).
                    var ran = ModelPrecision.ForInference("auto", model.Config, batchSize ?? EvalOptions.DefaultBatchSize(model.Config.SeqLen), dev, log: Console.Error.WriteLine).Dtype;
                    if (ran != model.Config.ForwardDtype) { models.Dispose(); models = Load(ran); model = Evaluator.Fit(models, sets[0], dataDir); }
                }
            }
            catch { models.Dispose(); throw; }
            using var _ = models;
            // Each set on the model for its size (a dataset of several sizes, `hrm data maze --size 11,15,21`): checked
            // before any is run.
            var fitted = sets.ToDictionary(s => s, s => Evaluator.Fit(models, s, dataDir));
            var options = new EvalOptions
            {
                Batch = batchSize, Halt = halt.Parse(parse, model.Config), Progress = Common.EvalProgress(), Device = dev, MaxSegments = parse.GetValue(maxSteps),
                MaxExamples = parse.GetValue(maxExamples),
                Tta = parse.GetValue(tta), TtaSeed = parse.GetValue(ttaSeed),
                Search = search.Parse(parse, Math.Max(parse.GetValue(tta), 1)),
            };
            if (options.Search is { } so) Console.WriteLine($"test-time search: {so}; {options.Halt}");

            IReadOnlyList<ArcTask>? arcTasks = parse.GetValue(arcSource) is string src ? ArcReader.Read(src) : null;
            var names = arcTasks is null ? null : PuzzleDatasetDirectory.ReadIdentifiers(dataDir);
            var results = new Dictionary<string, (SetMetrics Metrics, ArcScore? Arc, ArcVoting? Voting)>();
            foreach (var set in sets)
            {
                var voting = arcTasks is null ? null : new ArcVoting();
                var metrics = Evaluator.Evaluate(fitted[set], set, options, voting is null ? null : ex =>
                    voting.Add(names![ex.PuzzleIdentifier], ex.Input, ex.Result.Prediction, 1 / (1 + Math.Exp(-ex.Result.QHalt[^1]))));
                results[set.Name] = (metrics, voting is null ? null : ArcScoring.Score(arcTasks!, voting), voting);
            }

            AnsiConsole.Write(Common.MetricsTable(results.ToDictionary(kv => kv.Key, kv => kv.Value.Metrics)));
            foreach (var (name, (m, arc, _)) in results)
            {
                Console.WriteLine($"{name}: exact by segment {string.Join(" ", m.ExactBySegment.Select(x => $"{x:P1}"))}; segments used {string.Join(" ", m.SegmentHistogram.Select((c, i) => $"{i + 1}:{c}"))}");
                if (m.ByDifficulty is { Count: > 1 } rows)
                    Console.WriteLine($"{name}: exact / valid by {m.DifficultyMeasure!.Replace('_', ' ')}: " + string.Join(", ",
                        DifficultyRow.Bucket(rows, 8).Select(b => $"{(b.From == b.To ? $"{b.From}" : $"{b.From}-{b.To}")} " +
                            $"{b.Row.ExactAccuracy:P0}{(b.Row.ValidAccuracy is double v ? $"/{v:P0}" : "")} (n={b.Row.Count})")));
                if (m.Tta is { } tv && m.Search is { } ts)
                    Console.WriteLine($"{name}: the {tv.Views} views' own vote (trajectory 0 of each view, valid answers first, as --tta alone): exact {ts.ExactPlain:P2} -> {tv.ExactAccuracy:P2}");
                else if (m.Tta is { } t)
                    Console.WriteLine($"{name}: test-time augmentation over {t.Views} views: exact {m.ExactAccuracy:P2} -> {t.ExactAccuracy:P2}" +
                                      (t.ValidAccuracy is double v ? $", valid {m.ValidAccuracy:P2} -> {v:P2}" : ""));
                if (m.Search is { } sm)
                    Console.WriteLine($"{name}: search ({sm.Options.CandidatesPerPuzzle} candidates per puzzle): exact by select " +
                        string.Join(", ", sm.ExactBySelect.Select(kv => $"{SearchOptions.Name(kv.Key)} {kv.Value:P2}")) +
                        $"; any candidate right {sm.ExactAny:P2}; plain trajectory {sm.ExactPlain:P2}; {sm.MeanCandidates:F1} candidates and " +
                        $"{sm.MeanSegmentsPerPuzzle:F1} segments run per puzzle ({sm.MeanSegmentsPerCandidate:F1} per candidate); {m.PuzzlesPerSecond:F2} puzzles/s");
                if (arc is not null)
                    Console.WriteLine($"{name}: ARC {arc.Tasks.Count} tasks: " + string.Join(", ", arc.JsonFields().Select(f => $"{f.Key} {f.Value:P1}")));
            }
            if (parse.GetValue(submission) is string sub)
            {
                ArcScoring.WriteSubmission(sub, arcTasks!, results.Values.First().Voting!);
                Console.WriteLine($"wrote the submission for {arcTasks!.Count} task(s) to {sub}");
            }
            if (parse.GetValue(json) is string path)
                PuzzleAnswer.WriteJson(path, results.ToDictionary(kv => kv.Key, kv => Json(kv.Value.Metrics, kv.Value.Arc)));
            return 0;
        });
        return cmd;
    }

    /// <summary>A set's JSON object: the original fields first, then the newer ones (readers of the old form keep working).</summary>
    static Dictionary<string, object?> Json(SetMetrics m, ArcScore? arc)
    {
        var d = new Dictionary<string, object?>
        {
            ["count"] = m.Count, ["exact_accuracy"] = m.ExactAccuracy, ["token_accuracy"] = m.TokenAccuracy,
            ["mean_segments"] = m.MeanSegments, ["q_halt_accuracy"] = m.QHaltAccuracy,
            ["valid_accuracy"] = m.ValidAccuracy,
            ["exact_by_segment"] = m.ExactBySegment,
            ["segment_histogram"] = m.SegmentHistogram,
            ["puzzles_per_second"] = m.PuzzlesPerSecond,
        };
        if (m.ByDifficulty is { } rows)
            d["by_difficulty"] = new Dictionary<string, object?>
            {
                ["measure"] = m.DifficultyMeasure,
                ["rows"] = rows.Select(r => new Dictionary<string, object?>
                {
                    ["value"] = r.Value, ["count"] = r.Count, ["exact_accuracy"] = r.ExactAccuracy,
                    ["valid_accuracy"] = r.ValidAccuracy, ["token_accuracy"] = r.TokenAccuracy,
                }).ToList(),
            };
        if (m.Search is { } s)
        {
            d["exact_by_select"] = s.ExactBySelect.ToDictionary(kv => SearchOptions.Name(kv.Key), kv => kv.Value);
            d["valid_by_select"] = s.ValidBySelect.ToDictionary(kv => SearchOptions.Name(kv.Key), kv => kv.Value);
            d["exact_any"] = s.ExactAny;
            d["search"] = new Dictionary<string, object?>
            {
                ["samples"] = s.Options.Samples, ["views"] = s.Options.Views, ["noise"] = s.Options.Noise,
                ["perturb"] = SearchOptions.Name(s.Options.Perturb), ["select"] = SearchOptions.Name(s.Options.Select),
                ["sample_seed"] = s.Options.Seed, ["exact_plain"] = s.ExactPlain, ["mean_candidates"] = s.MeanCandidates,
                ["mean_segments_per_candidate"] = s.MeanSegmentsPerCandidate, ["mean_segments_per_puzzle"] = s.MeanSegmentsPerPuzzle,
            };
        }
        if (m.Tta is { } t)
            d["tta"] = new Dictionary<string, object?> { ["views"] = t.Views, ["exact_accuracy"] = t.ExactAccuracy, ["valid_accuracy"] = t.ValidAccuracy };
        if (arc is not null)
            foreach (var (k, v) in arc.JsonFields()) d[k] = v;
        return d;
    }
}
