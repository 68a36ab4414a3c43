using Hrm.Data;
using Hrm.Evaluation;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tracing;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Analysis;

/// <summary>
/// The paper's analyses as library calls: each writes a long-format CSV holding every number it plots and a PNG, and
/// returns the table. The CLI's `hrm analyze ...` commands are thin shells over these.
/// </summary>
public static class Analyses
{
    /// <summary>The first <paramref name="count"/> examples of a set as tensors on the model's device.</summary>
    static (Tensor Inputs, Tensor Ids, int[][] Rows, int[] Labels) Sample(ActModel model, PuzzleSet set, int count, Func<int, int>? mapId = null)
    {
        int n = Math.Min(count, set.Data.ExampleCount), s = set.Data.SeqLen;
        if (n == 0) throw new HrmException($"set {set.Name} has no examples");
        var owner = set.PuzzleOfExample();
        var inputs = set.Data.Inputs.AsSpan(0, n * s).ToArray();
        var ids = Enumerable.Range(0, n).Select(i => (long)(mapId?.Invoke(set.Data.PuzzleIdentifiers[owner[i]]) ?? set.Data.PuzzleIdentifiers[owner[i]])).ToArray();
        var rows = Enumerable.Range(0, n).Select(i => inputs.AsSpan(i * s, s).ToArray()).ToArray();
        return (tensor(inputs.Select(t => (long)t).ToArray(), [n, s], device: model.Device), tensor(ids, [n], device: model.Device), rows,
            set.Data.Labels.AsSpan(0, n * s).ToArray());
    }

    /// <summary>
    /// Forward residuals of zH and zL at every low-level step across all segments, mean and spread over the first
    /// <paramref name="count"/> test puzzles (the hierarchical-convergence figure). Writes residuals.csv and residuals.png.
    /// </summary>
    public static CsvTable Residuals(ActModel model, PuzzleSet set, int count, int? segments, string outDir)
    {
        using var scope = NewDisposeScope();
        var task = Solver.TaskOf(model.Config, set.Metadata.Task) ?? throw new HrmException("residuals: the model's task is unknown");
        var (inputs, ids, rows, _) = Sample(model, set, count);
        using var recorder = new TraceRecorder(model, task, rows, perStep: true);
        Inference.Run(model, inputs, ids, HaltPolicy.Full, segments, recorder);
        var perPuzzle = Enumerable.Range(0, rows.Length).Select(r => (IReadOnlyList<ResidualRecord>)recorder.Entries(r)
            .Where(e => e.Step is not null).Select(e => new ResidualRecord(e.Segment, e.Step!.Value, e.ResidualZH, e.ResidualZL)).ToList()).ToList();
        var summaries = ResidualStats.Aggregate(perPuzzle);
        int perCycle = model.Config.LCycles;
        var table = ResidualStats.ToCsv(summaries);
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "residuals.csv"));
        // HRM's high-level update follows every L_cycles low-level steps.
        ResidualStats.Plot(Path.Combine(outDir, "residuals.png"), summaries, s => s.Step % perCycle == 0,
            $"Forward residuals of zH and zL ({rows.Length} puzzles, {model.Config.Architecture.Name})");
        return table;
    }

    /// <summary>
    /// Participation ratio of zH and zL. The sample: one hidden vector [hidden] per token position (puzzle tokens
    /// included) and per segment end, over the trajectories of the first <paramref name="count"/> test puzzles run for
    /// the full budget. Also for an untrained model of the same config (seeded), and against the number of puzzles
    /// sampled (10 .. N, <paramref name="repeats"/> random subsets each). Writes pr.csv and pr.png.
    /// </summary>
    public static CsvTable ParticipationRatios(ActModel model, PuzzleSet set, int count, int repeats, int seed, string outDir)
    {
        var rows = new List<(string Model, string Module, PrCurvePoint Point)>();
        var curves = new List<(string Label, IReadOnlyList<PrCurvePoint> Curve)>();
        using var untrained = new ActModel(model.Config, new Generator((ulong)seed));
        untrained.to(model.Device);
        foreach (var (name, m) in new[] { ("trained", model), ("untrained", untrained) })
        {
            using var scope = NewDisposeScope();
            var (inputs, ids, puzzles, _) = Sample(m, set, count);
            using var states = new StateCollector(puzzles.Length);
            Inference.Run(m, inputs, ids, HaltPolicy.Full, observer: states);
            foreach (var (module, blocks) in new[] { ("zH", states.ZH), ("zL", states.ZL) })
            {
                var perPuzzle = blocks.Select(b => cat(b.ToArray(), 0)).ToList();   // [segments * (P+S), hidden] per puzzle
                var curve = ParticipationRatio.AgainstPuzzles(perPuzzle, ParticipationRatio.DefaultCounts(perPuzzle.Count), repeats, seed);
                foreach (var p in curve) rows.Add((name, module, p));
                curves.Add(($"{module} {name}", curve));
            }
        }
        var table = ParticipationRatio.ToCsv(rows);
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "pr.csv"));
        ParticipationRatio.Plot(Path.Combine(outDir, "pr.png"), curves);
        return table;
    }

    /// <summary>Keeps every row's carry after every segment (detached copies).</summary>
    sealed class StateCollector(int rows) : IInferenceObserver, IDisposable
    {
        public void Dispose()
        {
            foreach (var t in ZH.Concat(ZL).SelectMany(l => l)) t.Dispose();
        }

        public readonly List<Tensor>[] ZH = Enumerable.Range(0, rows).Select(_ => new List<Tensor>()).ToArray();
        public readonly List<Tensor>[] ZL = Enumerable.Range(0, rows).Select(_ => new List<Tensor>()).ToArray();
        public void OnSegment(SegmentReport r)
        {
            for (int i = 0; i < r.Rows.Length; i++)
            {
                // Detached: the loop's scopes end before the states are used; Dispose frees them.
                ZH[r.Rows[i]].Add(r.Output.Carry.ZH[i].to(float64).clone().DetachFromDisposeScope());
                ZL[r.Rows[i]].Add(r.Output.Carry.ZL[i].to(float64).clone().DetachFromDisposeScope());
            }
        }
    }

    /// <summary>
    /// Accuracy against the test-time segment budget 1..<paramref name="maxSegments"/> (default 2 x halt_max_steps):
    /// every row running the full budget, and with ACT halting (with the mean segments it uses). Writes scaling.csv and
    /// scaling.png.
    /// </summary>
    public static CsvTable Scaling(ActModel model, PuzzleSet set, int? maxSegments, int? maxExamples, string outDir)
    {
        int m = maxSegments ?? 2 * model.Config.HaltMaxSteps;
        var points = BudgetCurves.Of(model, set, m, maxExamples: maxExamples);
        var table = new CsvTable("budget", "exact_accuracy", "valid_accuracy", "act_exact_accuracy", "act_mean_segments", "trained_budget");
        foreach (var p in points) table.Add(p.Budget, p.FixedExact, p.FixedValid, p.ActExact, p.ActMeanSegments, model.Config.HaltMaxSteps);
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "scaling.csv"));
        var x = points.Select(p => (double)p.Budget).ToArray();
        var series = new List<LineSeries>
        {
            new("fixed budget: exact", x, points.Select(p => p.FixedExact * 100).ToArray()) { Markers = true },
            new("ACT halting: exact", x, points.Select(p => p.ActExact * 100).ToArray()) { Markers = true },
        };
        if (points[0].FixedValid is not null)
            series.Add(new("fixed budget: valid", x, points.Select(p => p.FixedValid!.Value * 100).ToArray()) { Markers = true });
        Plots.Lines(Path.Combine(outDir, "scaling.png"), new Figure($"Inference-time scaling (trained with halt_max_steps {model.Config.HaltMaxSteps})",
            "segments at test time (budget)", "held-out accuracy (%)"), series, [new VerticalMarkers("training budget", [model.Config.HaltMaxSteps])]);
        return table;
    }

    /// <summary>
    /// The two axes of inference-time compute side by side: accuracy against the total segments run per puzzle when
    /// spending them on more segments of one trajectory (budget 1..<paramref name="maxSegments"/>, default 2 x
    /// halt_max_steps) and on more trajectories (<paramref name="samples"/>, each running the trained budget), the
    /// latter under every selection rule and with the oracle (any candidate right). One search with the largest K
    /// serves every K: trajectory k's noise depends on k alone, so the first K of them are exactly a K-sample search.
    /// Writes scaling.csv (axis, budget, samples, segments_per_puzzle, exact per rule, exact_any) and scaling.png.
    /// </summary>
    public static CsvTable ScalingWithSamples(ActModel model, PuzzleSet set, int? maxSegments, int? maxExamples, IReadOnlyList<int> samples,
        SearchOptions search, string outDir)
    {
        if (samples.Count == 0 || samples.Any(k => k < 1)) throw new HrmException("sample counts must be >= 1");
        int m = maxSegments ?? 2 * model.Config.HaltMaxSteps;
        int budget = model.Config.HaltMaxSteps;
        var points = BudgetCurves.Of(model, set, m, maxExamples: maxExamples);
        var task = Solver.TaskOf(model.Config, set.Metadata.Task);
        int kMax = samples.Max();
        var rules = Enum.GetValues<SelectRule>();
        var exact = samples.ToDictionary(k => k, _ => rules.ToDictionary(r => r, _ => 0));
        var any = samples.ToDictionary(k => k, _ => 0);
        var segs = samples.ToDictionary(k => k, _ => 0.0);
        int count = 0, seen = 0;
        int perBatch = Math.Max(1, 256 / kMax);
        foreach (var batch in Data.TestBatches.Enumerate(set, perBatch))
        {
            if (maxExamples is int lim && seen >= lim) break;
            int rows = Math.Min(batch.EffectiveSize, (maxExamples ?? int.MaxValue) - seen);
            seen += rows;
            int s = batch.SeqLen;
            var inputs = Enumerable.Range(0, rows).Select(r => batch.Inputs.AsSpan(r * s, s).ToArray()).ToArray();
            var found = Search.Run(model, task, inputs, batch.PuzzleIds.Take(rows).Select(i => (long)i).ToArray(),
                search with { Samples = kMax, Views = 1 }, HaltPolicy.Full, budget);
            for (int r = 0; r < rows; r++)
            {
                var label = batch.Labels.AsSpan(r * s, s).ToArray();
                if (label.All(l => l == PuzzleSet.IgnoreLabel)) continue;
                count++;
                bool Right(Candidate c) => c.Answer.Select((t, j) => label[j] == PuzzleSet.IgnoreLabel || label[j] == t).All(x => x);
                foreach (int k in samples)
                {
                    var first = found[r].Candidates.Take(k).ToList();
                    var choice = Search.Choose(first, search.Select);
                    foreach (var rule in rules) if (Right(first[choice.IndexOf(rule)])) exact[k][rule]++;
                    if (first.Any(Right)) any[k]++;
                    segs[k] += first.Sum(c => c.Segments);
                }
            }
        }
        int n = Math.Max(count, 1);
        var table = new CsvTable("axis", "budget", "samples", "segments_per_puzzle", "exact_halt", "exact_vote", "exact_check", "exact_any");
        foreach (var p in points) table.Add("segments", p.Budget, 1, p.Budget, p.FixedExact, "", "", "");
        foreach (int k in samples.OrderBy(k => k))
            table.Add("samples", budget, k, segs[k] / n, (double)exact[k][SelectRule.Halt] / n, (double)exact[k][SelectRule.Vote] / n,
                (double)exact[k][SelectRule.Check] / n, (double)any[k] / n);
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "scaling.csv"));
        var ks = samples.OrderBy(k => k).ToList();
        var xs = ks.Select(k => segs[k] / n).ToArray();
        var series = new List<LineSeries>
        {
            new("more segments, one trajectory", points.Select(p => (double)p.Budget).ToArray(), points.Select(p => p.FixedExact * 100).ToArray()) { Markers = true },
            new("more samples: halt (model's choice)", xs, ks.Select(k => exact[k][SelectRule.Halt] * 100.0 / n).ToArray()) { Markers = true },
            new("more samples: vote", xs, ks.Select(k => exact[k][SelectRule.Vote] * 100.0 / n).ToArray()) { Markers = true },
        };
        if (task is { HasRule: true })
            series.Add(new("more samples: check", xs, ks.Select(k => exact[k][SelectRule.Check] * 100.0 / n).ToArray()) { Markers = true });
        series.Add(new("more samples: any candidate right (oracle)", xs, ks.Select(k => any[k] * 100.0 / n).ToArray()) { Markers = true });
        Plots.Lines(Path.Combine(outDir, "scaling.png"), new Figure($"Inference-time scaling: segments vs samples ({search.Noise:0.##} noise at {SearchOptions.Name(search.Perturb)}; {n} puzzles)",
            "segments run per puzzle (all trajectories)", "held-out exact accuracy (%)"), series, [new VerticalMarkers("training budget", [budget])]);
        return table;
    }

    /// <summary>
    /// ACT against a fixed number of segments (the paper's Figure 5 a/b): for each run, per budget 1..M (M: the run's
    /// halt_max_steps unless given), the accuracy of a fixed budget and of ACT halting, and ACT's mean segments.
    /// Writes act.csv and act.png.
    /// </summary>
    public static CsvTable Act(IReadOnlyList<(string Name, ActModel Model)> runs, PuzzleSet set, int? maxSegments, int? maxExamples, string outDir)
    {
        var table = new CsvTable("run", "halt_max_steps", "budget", "fixed_exact_accuracy", "act_exact_accuracy", "act_mean_segments");
        var series = new List<LineSeries>();
        foreach (var (name, model) in runs)
        {
            var points = BudgetCurves.Of(model, set, maxSegments ?? model.Config.HaltMaxSteps, maxExamples: maxExamples);
            foreach (var p in points) table.Add(name, model.Config.HaltMaxSteps, p.Budget, p.FixedExact, p.ActExact, p.ActMeanSegments);
            series.Add(new($"{name}: fixed M segments", points.Select(p => (double)p.Budget).ToArray(), points.Select(p => p.FixedExact * 100).ToArray()) { Markers = true });
            series.Add(new($"{name}: ACT (x = mean segments used)", points.Select(p => p.ActMeanSegments).ToArray(), points.Select(p => p.ActExact * 100).ToArray()) { Markers = true });
        }
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "act.csv"));
        Plots.Lines(Path.Combine(outDir, "act.png"), new Figure("Adaptive halting against a fixed number of segments",
            "segments per puzzle (budget M, or ACT's mean)", "held-out exact accuracy (%)"), series);
        return table;
    }

    /// <summary>
    /// Per-segment decoded accuracy over a run's training checkpoints (the step at which accuracy jumps). Writes
    /// steps.csv (one row per checkpoint and segment) and steps.png.
    /// </summary>
    public static CsvTable Steps(string runDir, PuzzleSet set, int? maxExamples, Device? device, string outDir)
    {
        var checkpoints = new RunFolder(runDir).Checkpoints();
        if (checkpoints.Count == 0) throw new HrmException($"{runDir}: no checkpoints (expected {RunFolder.CheckpointsPattern})");
        var table = new CsvTable("checkpoint_step", "segment", "exact_accuracy", "valid_accuracy");
        var bySegment = new SortedDictionary<int, List<(double Step, double Exact)>>();
        foreach (var checkpoint in checkpoints)
        {
            long step = checkpoint.Step!.Value;
            using var models = new SizedModels(ModelStore.Load(checkpoint.Root, device: device));
            var model = Evaluator.Fit(models, set, runDir);
            var points = BudgetCurves.Of(model, set, model.Config.HaltMaxSteps, maxExamples: maxExamples);
            foreach (var p in points)
            {
                table.Add(step, p.Budget, p.FixedExact, p.FixedValid);
                if (!bySegment.TryGetValue(p.Budget, out var l)) bySegment[p.Budget] = l = [];
                l.Add((step, p.FixedExact * 100));
            }
        }
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "steps.csv"));
        Plots.Lines(Path.Combine(outDir, "steps.png"), new Figure("Held-out accuracy after each segment over training", "training step", "held-out exact accuracy (%)"),
            bySegment.Select(kv => new LineSeries($"after segment {kv.Key}", kv.Value.Select(v => v.Step).ToArray(), kv.Value.Select(v => v.Exact).ToArray()) { Markers = true }).ToList());
        return table;
    }

    /// <summary>
    /// For models with puzzle embeddings: accuracy with the true puzzle identifier, the blank identifier (0) and a
    /// random one (seeded). Writes puzzle_id.csv and puzzle_id.png.
    /// </summary>
    public static CsvTable PuzzleIdentifier(ActModel model, PuzzleSet set, int? maxExamples, int seed, string outDir)
    {
        if (model.Config.PuzzleEmbNdim == 0) throw new HrmException("puzzle-id: this model has no puzzle embedding (puzzle_emb_ndim 0)");
        var random = new Random(seed);
        int n = model.Config.NumPuzzleIdentifiers;
        var variants = new (string Name, Func<int, int>? Map)[] { ("true", null), ("blank", _ => 0), ("random", _ => random.Next(n)) };
        var table = new CsvTable("identifier", "exact_accuracy", "valid_accuracy");
        var values = new List<double>();
        foreach (var (name, map) in variants)
        {
            var p = BudgetCurves.Of(model, set, model.Config.HaltMaxSteps, maxExamples: maxExamples, mapIdentifier: map)[^1];
            table.Add(name, p.FixedExact, p.FixedValid);
            values.Add(p.FixedExact * 100);
        }
        Directory.CreateDirectory(outDir);
        table.Write(Path.Combine(outDir, "puzzle_id.csv"));
        Plots.Bars(Path.Combine(outDir, "puzzle_id.png"), new Figure("Accuracy by puzzle identifier", "identifier given", "held-out exact accuracy (%)"),
            variants.Select(v => v.Name).ToArray(), [new BarSeries("exact", values)]);
        return table;
    }
}
