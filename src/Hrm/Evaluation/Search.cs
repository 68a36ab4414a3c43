using System.Text.Json.Serialization;
using Hrm.Model;
using Hrm.Tasks;
using static TorchSharp.torch;

namespace Hrm.Evaluation;

/// <summary>How test-time search picks one answer among a puzzle's candidates.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SelectRule>))]
public enum SelectRule
{
    /// <summary>The candidate with the highest final q_halt: the model's own judgement of "this answer is correct".</summary>
    Halt,
    /// <summary>The most frequent answer; ties by the highest q_halt among the candidates that gave it.</summary>
    Vote,
    /// <summary>The highest-q candidate that the task's checker accepts (it verifies without solving); else <see cref="Halt"/>.</summary>
    Check,
}

/// <summary>Where the sampled trajectories (all but the first) are perturbed.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Perturbation>))]
public enum Perturbation
{
    /// <summary>Gaussian noise on the starting z_H and z_L (every position and channel).</summary>
    Init,
    /// <summary>Gaussian noise added to z_H and z_L after every segment.</summary>
    Segment,
    /// <summary>Both.</summary>
    Both,
}

/// <summary>
/// Test-time search: K trajectories per puzzle (and per test-time view), run as rows of one batch. Trajectory 0 is the
/// plain deterministic run; trajectory k &gt; 0 is perturbed with Gaussian noise of scale <see cref="Noise"/> where
/// <see cref="Perturb"/> says, drawn from a generator seeded by (<see cref="Seed"/>, the puzzle's tokens, view, k,
/// segment) alone, so a candidate does not depend on the batch it ran in. <see cref="Select"/> picks the answer.
/// </summary>
public sealed record SearchOptions
{
    /// <summary>Default noise scale (in units of the state's per-channel RMS, which RMSNorm keeps near 1).</summary>
    public const double DefaultNoise = 0.5;
    public const Perturbation DefaultPerturbation = Perturbation.Both;

    [JsonPropertyName("samples")] public int Samples { get; init; } = 1;
    [JsonPropertyName("noise")] public double Noise { get; init; } = DefaultNoise;
    [JsonPropertyName("perturb")] public Perturbation Perturb { get; init; } = DefaultPerturbation;
    [JsonPropertyName("sample_seed")] public int Seed { get; init; }
    [JsonPropertyName("select")] public SelectRule Select { get; init; } = SelectRule.Halt;
    /// <summary>Test-time views per puzzle (1: the puzzle as given); each view runs <see cref="Samples"/> trajectories.</summary>
    [JsonPropertyName("views")] public int Views { get; init; } = 1;

    /// <summary>Candidates per puzzle (at most: a task may have fewer distinct views).</summary>
    [JsonIgnore] public int CandidatesPerPuzzle => Samples * Math.Max(Views, 1);

    public SearchOptions Validate()
    {
        if (Samples < 1) throw new HrmException($"samples must be >= 1, got {Samples}");
        if (Samples > MaxSamples) throw new HrmException($"samples must be <= {MaxSamples}, got {Samples}");
        if (!(Noise >= 0) || double.IsInfinity(Noise)) throw new HrmException($"noise must be a finite number >= 0, got {Noise}");
        if (Views < 1) throw new HrmException($"views must be >= 1, got {Views}");
        return this;
    }

    /// <summary>The most trajectories one puzzle may ask for.</summary>
    public const int MaxSamples = 1024;

    public static SelectRule ParseSelect(string text) => text.Trim().ToLowerInvariant() switch
    {
        "halt" or "q" => SelectRule.Halt,
        "vote" => SelectRule.Vote,
        "check" => SelectRule.Check,
        _ => throw new HrmException($"unknown selection rule '{text}' (expected halt, vote or check)"),
    };

    public static Perturbation ParsePerturbation(string text) => text.Trim().ToLowerInvariant() switch
    {
        "init" => Perturbation.Init,
        "segment" => Perturbation.Segment,
        "both" => Perturbation.Both,
        _ => throw new HrmException($"unknown perturbation '{text}' (expected init, segment or both)"),
    };

    /// <summary>The file beside a model's weights that holds the search its card measured as its default.</summary>
    public const string DefaultsFile = "search.json";

    /// <summary>
    /// The search a model folder names as its default (<see cref="DefaultsFile"/>, e.g. {"samples": 8, "select": "halt"}),
    /// or null when it has none. <paramref name="checkpoint"/> is a folder or a file inside one.
    /// </summary>
    public static SearchOptions? ReadDefaults(string checkpoint)
    {
        var dir = Directory.Exists(checkpoint) ? checkpoint : Path.GetDirectoryName(Path.GetFullPath(checkpoint));
        var path = dir is null ? null : Path.Combine(dir, DefaultsFile);
        if (path is null || !File.Exists(path)) return null;
        try
        {
            var options = System.Text.Json.JsonSerializer.Deserialize<SearchOptions>(File.ReadAllText(path),
                new System.Text.Json.JsonSerializerOptions { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow })
                ?? throw new HrmException($"{path}: empty");
            return options.Validate();
        }
        catch (System.Text.Json.JsonException e) { throw new HrmException($"{path}: not a search settings file: {e.Message}"); }
        catch (HrmException e) { throw e.At(path); }
    }

    public static string Name(SelectRule rule) => rule.ToString().ToLowerInvariant();
    public static string Name(Perturbation p) => p.ToString().ToLowerInvariant();

    public override string ToString() =>
        $"{Samples} sample(s){(Views > 1 ? $" x {Views} views" : "")}, noise {Noise:0.###} at {Name(Perturb)}, select {Name(Select)}, seed {Seed}";
}

/// <summary>
/// One trajectory's answer, in the puzzle's own frame: which view and sample produced it, its final q_halt logit,
/// the segments it ran, whether the task's checker accepts it (null without a checker), and whether it was cut before
/// it finished because its puzzle's choice was already made (cut candidates take no part in the choice).
/// </summary>
public sealed record Candidate(int[] Answer, int View, int Sample, float QHalt, int Segments, bool? Valid, bool Cut, RowResult Row)
{
    public double Confidence => 1 / (1 + Math.Exp(-QHalt));
}

/// <summary>A puzzle's candidates and the index chosen by each rule (and by the requested one).</summary>
public sealed record SearchResult(IReadOnlyList<Candidate> Candidates, int ByHalt, int ByVote, int ByCheck, SelectRule Rule)
{
    public int Chosen => IndexOf(Rule);
    public Candidate Best => Candidates[Chosen];
    public int IndexOf(SelectRule rule) => rule switch { SelectRule.Vote => ByVote, SelectRule.Check => ByCheck, _ => ByHalt };
    /// <summary>Segments run over all candidates (the puzzle's compute).</summary>
    public int TotalSegments => Candidates.Sum(c => c.Segments);
}

/// <summary>
/// Runs several trajectories per puzzle through the one inference loop (<see cref="Inference.Run"/>) and picks one
/// answer per puzzle. With an early-exit halting rule every trajectory stops on its own, and a puzzle stops as soon as
/// its choice is made (<see cref="Decided"/>): its other trajectories are cut.
/// </summary>
public static class Search
{
    /// <summary>
    /// Candidates for each puzzle of <paramref name="inputs"/> (tokens in the task's form). <paramref name="viewSeeds"/>
    /// seeds each puzzle's test-time views (when <see cref="SearchOptions.Views"/> &gt; 1; default: the puzzle index).
    /// <paramref name="observer"/> sees every row: row index = puzzle-major, then view, then sample (<see cref="RowOf"/>
    /// for layouts with all views present).
    /// </summary>
    public static SearchResult[] Run(ActModel model, PuzzleTask? task, IReadOnlyList<int[]> inputs, IReadOnlyList<long> puzzleIds,
        SearchOptions options, HaltPolicy? halt = null, int? maxSegments = null, IInferenceObserver? observer = null,
        IReadOnlyList<int>? viewSeeds = null, IInferenceObserver? plainObserver = null)
    {
        options.Validate();
        halt = (halt ?? HaltPolicy.Full).Validate();
        if (inputs.Count != puzzleIds.Count) throw new HrmException($"{inputs.Count} puzzles but {puzzleIds.Count} identifiers");
        if (options.Views > 1 && task is null) throw new HrmException("test-time views need a known task (sudoku, maze or arc)");
        int budget = maxSegments ?? model.Config.HaltMaxSteps;
        var plan = new List<(int Puzzle, int View, int Sample)>();
        var views = new IReadOnlyList<ITokenView>[inputs.Count];
        var flat = new List<long>();
        var ids = new List<long>();
        int seqLen = inputs.Count > 0 ? inputs[0].Length : 0;
        for (int p = 0; p < inputs.Count; p++)
        {
            if (inputs[p].Length != seqLen) throw new HrmException($"puzzle {p} has {inputs[p].Length} tokens, puzzle 0 {seqLen}");
            views[p] = options.Views > 1 ? task!.Views(inputs[p], options.Views, viewSeeds?[p] ?? p) : [IdentityView.Instance];
            for (int v = 0; v < views[p].Count; v++)
            {
                var tokens = v == 0 ? inputs[p] : views[p][v].Apply(inputs[p]);
                for (int k = 0; k < options.Samples; k++)
                {
                    plan.Add((p, v, k));
                    flat.AddRange(tokens.Select(t => (long)t));
                    ids.Add(puzzleIds[p]);
                }
            }
        }
        if (plan.Count == 0) return [];

        var control = new Trajectories(model, task, inputs, views, plan, options, halt, budget);
        RowResult[] rows;
        using (var scope = NewDisposeScope())
        {
            var device = model.Device;
            var x = tensor(flat.ToArray(), [plan.Count, seqLen], device: device);
            var idTensor = tensor(ids.ToArray(), [ids.Count], device: device);
            var watch = plainObserver is null ? observer : new Both(observer, new PlainRows(plainObserver, plan));
            rows = Inference.Run(model, x, idTensor, halt, budget, watch, control);
        }

        var results = new SearchResult[inputs.Count];
        var byPuzzle = plan.Select((r, i) => (r, i)).GroupBy(t => t.r.Puzzle);
        foreach (var group in byPuzzle)
        {
            int p = group.Key;
            var candidates = group.Select(t =>
            {
                var answer = t.r.View == 0 ? rows[t.i].Prediction : views[p][t.r.View].Invert(rows[t.i].Prediction);
                bool? valid = task is { HasRule: true } ? task.Check(inputs[p], answer) is null : null;
                return new Candidate(answer, t.r.View, t.r.Sample, rows[t.i].QHalt[^1], rows[t.i].Segments, valid, control.IsCut(t.i), rows[t.i]);
            }).ToList();
            results[p] = Choose(candidates, options.Select);
        }
        return results;
    }

    /// <summary>The row of (puzzle, view, sample) when every puzzle has <paramref name="views"/> views.</summary>
    public static int RowOf(int puzzle, int view, int sample, int views, int samples) => (puzzle * views + view) * samples + sample;

    /// <summary>Applies every rule to a puzzle's candidates (the requested one is <paramref name="rule"/>).</summary>
    public static SearchResult Choose(IReadOnlyList<Candidate> candidates, SelectRule rule) =>
        new(candidates, Pick(candidates, SelectRule.Halt), Pick(candidates, SelectRule.Vote), Pick(candidates, SelectRule.Check), rule);

    /// <summary>
    /// The index of the candidate <paramref name="rule"/> picks among those not cut. halt: the highest q_halt (ties:
    /// the earliest, so trajectory 0 wins a full tie); vote: the most frequent answer, ties by the highest q_halt of
    /// its candidates, returning that candidate; check: the highest-q candidate whose answer the checker accepts, else
    /// halt (also when the task has no checker).
    /// </summary>
    public static int Pick(IReadOnlyList<Candidate> candidates, SelectRule rule)
    {
        if (candidates.Count == 0) throw new HrmException("no candidates to choose from");
        var live = Enumerable.Range(0, candidates.Count).Where(i => !candidates[i].Cut).ToList();
        if (live.Count == 0) live = Enumerable.Range(0, candidates.Count).ToList();
        int Best(IEnumerable<int> idx) => idx.Aggregate(-1, (best, i) => best < 0 || candidates[i].QHalt > candidates[best].QHalt ? i : best);
        switch (rule)
        {
            case SelectRule.Vote:
            {
                var groups = new Dictionary<int[], List<int>>(AnswerComparer.Instance);
                foreach (int i in live)
                {
                    if (!groups.TryGetValue(candidates[i].Answer, out var list)) groups[candidates[i].Answer] = list = new List<int>();
                    list.Add(i);
                }
                int bestGroup = -1, bestCount = 0;
                foreach (var list in groups.Values)
                {
                    int top = Best(list);
                    if (list.Count > bestCount || (list.Count == bestCount && (candidates[top].QHalt > candidates[bestGroup].QHalt
                        || (candidates[top].QHalt == candidates[bestGroup].QHalt && top < bestGroup))))
                        (bestGroup, bestCount) = (top, list.Count);
                }
                return bestGroup;
            }
            case SelectRule.Check:
            {
                int best = Best(live.Where(i => candidates[i].Valid == true));
                return best >= 0 ? best : Best(live);
            }
            default:
                return Best(live);
        }
    }

    /// <summary>Answers compared by value.</summary>
    public sealed class AnswerComparer : IEqualityComparer<int[]>
    {
        public static readonly AnswerComparer Instance = new();
        public bool Equals(int[]? a, int[]? b) => a is not null && b is not null && a.AsSpan().SequenceEqual(b);
        public int GetHashCode(int[] a)
        {
            var h = new HashCode();
            h.AddBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()));
            return h.ToHashCode();
        }
    }

    /// <summary>A stable 64-bit key of a token sequence (FNV-1a; the same in every process, unlike string hashes).</summary>
    public static ulong KeyOf(ReadOnlySpan<int> tokens)
    {
        ulong h = 14695981039346656037UL;
        foreach (int t in tokens) { h ^= (uint)t; h *= 1099511628211UL; }
        return h;
    }

    static ulong Mix(ulong x) => Hrm.Runtime.Hashing.Mix(x);

    /// <summary>The noise seed of one trajectory at one segment (0 = the start).</summary>
    public static ulong NoiseSeed(int seed, ulong puzzleKey, int view, int sample, int segment) =>
        Mix(Mix(Mix(Mix((ulong)(uint)seed) ^ puzzleKey) ^ (ulong)(uint)view << 32 ^ (uint)sample) ^ (uint)segment);

    /// <summary>
    /// When a puzzle's choice is made, so its running trajectories can stop (the loop then cuts them). Only candidates
    /// that stopped on their own count. halt: one of them is accepted by the model (q_halt above the acceptance logit:
    /// 0, or the confident rule's threshold); check: one of them passes the checker (for a Sudoku that is a proof:
    /// the answer is correct); vote: one answer holds a strict majority of all the puzzle's candidates (no other
    /// answer can overtake it). With the full budget no trajectory stops early and every puzzle runs all of them.
    /// </summary>
    public static bool Decided(SelectRule rule, IReadOnlyList<(int[] Answer, float QHalt, bool? Valid)> finished, int total, double acceptLogit) => rule switch
    {
        SelectRule.Halt => finished.Any(f => f.QHalt > acceptLogit),
        SelectRule.Check => finished.Any(f => f.Valid == true),
        _ => finished.GroupBy(f => f.Answer, AnswerComparer.Instance).Any(g => 2 * g.Count() > total),
    };

    /// <summary>Two observers in turn (the first may be null).</summary>
    sealed class Both(IInferenceObserver? first, IInferenceObserver second) : IInferenceObserver
    {
        public IStepObserver? StepsOf(int segment, long[] rows) => first?.StepsOf(segment, rows);
        public void OnSegment(SegmentReport report) { first?.OnSegment(report); second.OnSegment(report); }
    }

    /// <summary>Shows an observer only the plain trajectories (view 0, sample 0), numbered by puzzle.</summary>
    sealed class PlainRows(IInferenceObserver inner, List<(int Puzzle, int View, int Sample)> plan) : IInferenceObserver
    {
        public void OnSegment(SegmentReport r)
        {
            var pick = Enumerable.Range(0, r.Rows.Length).Where(i => plan[(int)r.Rows[i]] is { View: 0, Sample: 0 }).ToArray();
            if (pick.Length == 0) return;
            using var scope = NewDisposeScope();
            var idx = tensor(pick.Select(i => (long)i).ToArray(), device: r.Output.Logits.device);
            var o = r.Output;
            var sub = new SegmentOutput(new InnerCarry(o.Carry.ZH.index_select(0, idx), o.Carry.ZL.index_select(0, idx)),
                o.Logits.index_select(0, idx), o.QHalt.index_select(0, idx), o.QContinue.index_select(0, idx));
            inner.OnSegment(new SegmentReport(r.Segment, pick.Select(i => (long)plan[(int)r.Rows[i]].Puzzle).ToArray(), sub,
                pick.Select(i => r.Stopping[i]).ToArray()));
        }
    }

    /// <summary>The noise and the early choice, for one <see cref="Run"/>.</summary>
    sealed class Trajectories : ITrajectoryControl
    {
        readonly ActModel model;
        readonly PuzzleTask? task;
        readonly IReadOnlyList<int[]> inputs;
        readonly IReadOnlyList<ITokenView>[] views;
        readonly List<(int Puzzle, int View, int Sample)> plan;
        readonly SearchOptions options;
        readonly HaltPolicy halt;
        readonly int budget;
        readonly ulong[] keys;
        readonly int[] perPuzzle;
        readonly List<(int[] Answer, float QHalt, bool? Valid)>[] finished;
        readonly bool[] decided;
        readonly bool[] cut;
        readonly double acceptLogit;

        public Trajectories(ActModel model, PuzzleTask? task, IReadOnlyList<int[]> inputs, IReadOnlyList<ITokenView>[] views,
            List<(int, int, int)> plan, SearchOptions options, HaltPolicy halt, int budget)
        {
            this.model = model; this.task = task; this.inputs = inputs; this.views = views; this.plan = plan;
            this.options = options; this.halt = halt; this.budget = budget;
            keys = inputs.Select(i => KeyOf(i)).ToArray();
            perPuzzle = new int[inputs.Count];
            foreach (var r in plan) perPuzzle[r.Item1]++;
            finished = inputs.Select(_ => new List<(int[], float, bool?)>()).ToArray();
            decided = new bool[inputs.Count];
            cut = new bool[plan.Count];
            acceptLogit = halt.Rule == HaltRule.Confident ? Math.Log(halt.Threshold / (1 - halt.Threshold)) : 0;
        }

        public bool IsCut(int row) => cut[row];

        bool Noisy(Perturbation at) => options.Samples > 1 && options.Noise > 0 && (options.Perturb == at || options.Perturb == Perturbation.Both);

        public InnerCarry Start(InnerCarry carry, long[] rows) =>
            Noisy(Perturbation.Init) ? Perturb(carry, rows, 0) : carry;

        public InnerCarry AfterSegment(int segment, InnerCarry carry, long[] rows) =>
            Noisy(Perturbation.Segment) ? Perturb(carry, rows, segment) : carry;

        /// <summary>carry + noise x N(0, 1) for the sampled rows (sample &gt; 0); each row's draw is its own.</summary>
        InnerCarry Perturb(InnerCarry carry, long[] rows, int segment)
        {
            if (!rows.Any(r => plan[(int)r].Sample > 0)) return carry;
            var shape = carry.ZH.shape[1..];
            var gen = new Generator(0);
            var noiseH = new Tensor[rows.Length];
            var noiseL = new Tensor[rows.Length];
            using var scope = NewDisposeScope();
            for (int i = 0; i < rows.Length; i++)
            {
                var (p, v, k) = plan[(int)rows[i]];
                if (k == 0) { noiseH[i] = zeros(shape); noiseL[i] = zeros(shape); continue; }
                gen.manual_seed(unchecked((long)NoiseSeed(options.Seed, keys[p], v, k, segment)));
                noiseH[i] = randn(shape, generator: gen);
                noiseL[i] = randn(shape, generator: gen);
            }
            var device = carry.ZH.device;
            var dtype = carry.ZH.dtype;
            var zh = (carry.ZH + (stack(noiseH) * options.Noise).to(dtype).to(device)).MoveToOuterDisposeScope();
            var zl = (carry.ZL + (stack(noiseL) * options.Noise).to(dtype).to(device)).MoveToOuterDisposeScope();
            gen.Dispose();
            return new InnerCarry(zh, zl);
        }

        public void Decide(SegmentReport report, bool[] stopping)
        {
            if (halt.Rule == HaltRule.Full) return;
            var own = Enumerable.Range(0, stopping.Length).Where(i => stopping[i]).ToArray();
            if (own.Length == 0) return;
            int s = (int)report.Output.Logits.shape[1];
            int[] answers;
            using (var scope = NewDisposeScope())
            {
                var idx = tensor(own.Select(i => (long)i).ToArray(), device: report.Output.Logits.device);
                answers = report.Output.Logits.index_select(0, idx).argmax(-1).to(int32).cpu().data<int>().ToArray();
            }
            using var q = report.Output.QHalt.cpu();
            var qs = q.data<float>().ToArray();
            var touched = new HashSet<int>();
            for (int j = 0; j < own.Length; j++)
            {
                var (p, v, _) = plan[(int)report.Rows[own[j]]];
                if (decided[p]) continue;
                var answer = answers.AsSpan(j * s, s).ToArray();
                if (v > 0) answer = views[p][v].Invert(answer);
                bool? valid = options.Select == SelectRule.Check && task is { HasRule: true } ? task.Check(inputs[p], answer) is null : null;
                finished[p].Add((answer, qs[own[j]], valid));
                touched.Add(p);
            }
            foreach (int p in touched)
                if (Decided(options.Select, finished[p], perPuzzle[p], acceptLogit)) decided[p] = true;
            for (int i = 0; i < stopping.Length; i++)
            {
                int row = (int)report.Rows[i];
                if (!stopping[i] && decided[plan[row].Puzzle]) { stopping[i] = true; cut[row] = true; }
            }
        }
    }
}
