namespace Hrm.Tasks.Sudoku;

/// <summary>A puzzle with its unique solution and its rating (guesses the solver needed; 0 = singles suffice).</summary>
public sealed record SudokuPuzzle(int[] Cells, int[] Solution, int Rating)
{
    public int Clues => Cells.Count(d => d != 0);
}

public enum SudokuDifficulty
{
    /// <summary>Any minimal puzzle.</summary>
    Any,
    /// <summary>Solvable by naked and hidden singles alone (rating 0).</summary>
    Easy,
    /// <summary>Needs at least one guess (rating >= 1).</summary>
    Hard,
    /// <summary>Rating at least <see cref="SudokuGeneratorOptions.MinRating"/>, 20 if unset (the Sudoku-Extreme style).</summary>
    Extreme,
}

public static class SudokuDifficulties
{
    /// <summary>A --difficulty value: any, easy, hard or extreme (any case).</summary>
    public static SudokuDifficulty Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "any" => SudokuDifficulty.Any,
        "easy" => SudokuDifficulty.Easy,
        "hard" => SudokuDifficulty.Hard,
        "extreme" => SudokuDifficulty.Extreme,
        _ => throw new HrmException($"difficulty must be any, easy, hard or extreme, not '{text}'") { Key = "difficulty" },
    };
}

/// <summary>
/// What puzzles to keep: a difficulty, and optional inclusive bounds on rating and clue count. The rating is
/// <see cref="SudokuSolver"/>'s guess count (values tried at branch points of a depth-first search that propagates
/// naked and hidden singles and branches on a cell with the fewest candidates, the whole tree explored to prove the
/// solution unique); 0 means singles alone solve the puzzle. docs/dataset-format.md sets it beside Sudoku-Extreme's
/// rating (backtracks of the tdoku solver).
/// </summary>
public sealed record SudokuGeneratorOptions(
    SudokuDifficulty Difficulty = SudokuDifficulty.Any,
    int? MinRating = null,
    int? MinClues = null,
    int? MaxClues = null)
{
    /// <summary>The rating --difficulty extreme keeps by default: the top 3.5% or so of random minimal 9x9 puzzles
    /// (median 2, 90th percentile 12); the hardest published puzzles rate 100 to 700 (see docs/dataset-format.md).</summary>
    public const int DefaultExtremeRating = 20;

    /// <summary>Throws an <see cref="HrmException"/> (one line, naming the setting: min_clues, ... as <see cref="HrmException.Key"/>) when the
    /// bounds are impossible for <paramref name="shape"/> or contradict each other.</summary>
    public SudokuGeneratorOptions Validate(SudokuShape shape)
    {
        if (!Enum.IsDefined(Difficulty)) throw new HrmException($"difficulty must be any, easy, hard or extreme, not {(int)Difficulty}") { Key = "difficulty" };
        if (MinRating is int r && r < 0) throw new HrmException($"min_rating must be >= 0, got {r}") { Key = "min_rating" };
        if (Difficulty == SudokuDifficulty.Easy && MinRating is int e && e > 0)
            throw new HrmException($"difficulty easy keeps puzzles rated 0; it contradicts min_rating {e}") { Key = "difficulty", OtherKeys = ["min_rating"] };
        foreach (var (key, value) in new[] { ("min_clues", MinClues), ("max_clues", MaxClues) })
            if (value is int v && (v < 0 || v > shape.Cells))
                throw new HrmException($"{key} must be 0..{shape.Cells} for a {shape.N}x{shape.N} grid, got {v}") { Key = key };
        if (MinClues is int lo && MaxClues is int hi && lo > hi) throw new HrmException($"min_clues {lo} is above max_clues {hi}") { Key = "min_clues", OtherKeys = ["max_clues"] };
        return this;
    }

    public int EffectiveMinRating => MinRating ?? Difficulty switch
    {
        SudokuDifficulty.Hard => 1,
        SudokuDifficulty.Extreme => DefaultExtremeRating,
        _ => 0,
    };

    public bool Accepts(SudokuPuzzle p) =>
        (MinClues is not int lo || p.Clues >= lo) && (MaxClues is not int hi || p.Clues <= hi)
        && p.Rating >= EffectiveMinRating && (Difficulty != SudokuDifficulty.Easy || p.Rating == 0);

    public override string ToString() =>
        $"{Difficulty.ToString().ToLowerInvariant()}{(EffectiveMinRating > 0 ? $", rating >= {EffectiveMinRating}" : "")}" +
        $"{(MinClues is int lo ? $", clues >= {lo}" : "")}{(MaxClues is int hi ? $", clues <= {hi}" : "")}";
}

/// <summary>What generating puzzles cost: random minimal candidates made, those kept, wall time, threads.</summary>
public sealed class SudokuGenerationStats
{
    public long Candidates { get; internal set; }
    public long Kept { get; internal set; }
    public TimeSpan Elapsed { get; internal set; }
    /// <summary>Processor time of the whole process meanwhile (all threads): the cost on a machine shared with other work.</summary>
    public TimeSpan CpuTime { get; internal set; }
    public int Threads { get; internal set; }
    public double KeptPerSecond => Kept / Math.Max(Elapsed.TotalSeconds, 1e-9);
    public double KeptPerCpuSecond => Kept / Math.Max(CpuTime.TotalSeconds, 1e-9);

    public override string ToString() =>
        $"{Kept:N0} kept of {Candidates:N0} random minimal candidates ({100.0 * Kept / Math.Max(Candidates, 1):0.0}%) in {Elapsed.TotalSeconds:F1} s " +
        $"on {Threads} thread{(Threads == 1 ? "" : "s")} ({CpuTime.TotalSeconds:F1} s CPU): {KeptPerSecond:N1} puzzles/s, {KeptPerCpuSecond:N1} per CPU second";
}

/// <summary>
/// Generates puzzles with a unique solution: a random full grid (the solver on an empty grid, values tried in random
/// order), then clues removed one at a time in random order, each removal kept only if the solution stays unique.
/// One pass gives a minimal puzzle: a clue that was needed stays needed once others are gone.
/// </summary>
public sealed class SudokuGenerator
{
    readonly SudokuSolver solver;

    public SudokuGenerator(SudokuShape shape) => solver = new SudokuSolver(shape);

    public SudokuShape Shape => solver.Shape;

    /// <summary>One random minimal puzzle drawn from <paramref name="random"/>.</summary>
    public SudokuPuzzle GenerateOne(Random random)
    {
        var solution = solver.Solve(new int[Shape.Cells], limit: 1, random).Solution
            ?? throw new InvalidOperationException("the empty grid has a solution");
        var cells = (int[])solution.Clone();
        var order = Enumerable.Range(0, Shape.Cells).ToArray();
        random.Shuffle(order);
        foreach (int i in order)
        {
            int clue = cells[i];
            cells[i] = 0;
            // Unique without this clue iff no solution puts another digit there (the grid is one solution).
            if (solver.HasSolutionWithout(cells, i, clue)) cells[i] = clue;
        }
        return new SudokuPuzzle(cells, solution, solver.Solve(cells, limit: 2).Guesses);
    }

    /// <summary>
    /// <paramref name="count"/> distinct puzzles that pass <paramref name="options"/>, none of them in
    /// <paramref name="exclude"/> (which receives the new ones, so train and test never share a puzzle).
    /// Attempt k draws from its own generator seeded by (seed, k), and attempts are accepted in order, so the result
    /// depends only on the seed, not on the number of threads. Throws HrmException after <paramref name="maxAttempts"/>.
    /// </summary>
    public static List<SudokuPuzzle> Generate(SudokuShape shape, int count, SudokuGeneratorOptions options, int seed,
        ISet<string>? exclude = null, long? maxAttempts = null, Action<int, long>? progress = null, int threads = 0,
        SudokuGenerationStats? stats = null)
    {
        options.Validate(shape);
        if (count < 0) throw new HrmException($"the number of puzzles must be >= 0, got {count}");
        if (threads < 0) throw new HrmException($"threads must be >= 0 (0 = one per core), got {threads}") { Key = "threads" };
        exclude ??= new HashSet<string>();
        long cap = maxAttempts ?? 1000L * count + 10_000;
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        var result = new List<SudokuPuzzle>(count);
        var generators = new ThreadLocal<SudokuGenerator>(() => new SudokuGenerator(shape));
        int batch = Math.Max(16, 8 * threads);
        long attempts = 0;
        int highest = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu = CpuTime();
        while (result.Count < count)
        {
            if (attempts >= cap)
                throw new HrmException($"found only {result.Count} of {count} distinct {shape.N}x{shape.N} puzzles ({options}) in {attempts} attempts (highest rating {highest}); relax the filters");
            // A filter nothing passes (a rating no puzzle of this size reaches) fails in seconds, not after the cap.
            if (result.Count == 0 && attempts >= HopelessAfter)
                throw new HrmException($"none of {attempts} random minimal {shape.N}x{shape.N} puzzles passed the filters ({options}; the highest rating among them was {highest}); relax the filters");
            int size = (int)Math.Min(batch, cap - attempts);
            var candidates = new SudokuPuzzle[size];
            long start = attempts;
            Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = threads },
                i => candidates[i] = generators.Value!.GenerateOne(new Random(AttemptSeed(seed, start + i))));
            attempts += size;
            foreach (var p in candidates)
            {
                highest = Math.Max(highest, p.Rating);
                if (options.Accepts(p) && result.Count < count && exclude.Add(SudokuShape.Format(p.Cells)))
                    result.Add(p);
            }
            progress?.Invoke(result.Count, attempts);
        }
        if (stats is not null)
        {
            stats.Candidates += attempts;
            stats.Kept += result.Count;
            stats.Elapsed += clock.Elapsed;
            stats.CpuTime += CpuTime() - cpu;
            stats.Threads = threads;
        }
        return result;
    }

    static TimeSpan CpuTime()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>Candidates after which a filter that has kept nothing is given up (at a 1-in-1000 pass rate the chance
    /// of none in this many is 2e-9).</summary>
    public const int HopelessAfter = 20_000;

    /// <summary>A well-mixed 32-bit seed for attempt k (SplitMix64), stable across runs and platforms.</summary>
    static int AttemptSeed(int seed, long k)
    {
        unchecked
        {
            ulong z = ((ulong)(uint)seed << 32 ^ (ulong)k) + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return (int)(z ^ (z >> 31));
        }
    }
}
