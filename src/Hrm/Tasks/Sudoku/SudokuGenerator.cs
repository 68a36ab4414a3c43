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

/// <summary>What puzzles to keep: a difficulty, and optional inclusive bounds on rating and clue count.</summary>
public sealed record SudokuGeneratorOptions(
    SudokuDifficulty Difficulty = SudokuDifficulty.Any,
    int? MinRating = null,
    int? MinClues = null,
    int? MaxClues = null)
{
    public const int DefaultExtremeRating = 20;

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
            if (solver.Solve(cells, limit: 2).Solutions != 1) cells[i] = clue;
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
        ISet<string>? exclude = null, long? maxAttempts = null, Action<int, long>? progress = null, int threads = 0)
    {
        exclude ??= new HashSet<string>();
        long cap = maxAttempts ?? 1000L * count + 10_000;
        threads = threads > 0 ? threads : Environment.ProcessorCount;
        var result = new List<SudokuPuzzle>(count);
        var generators = new ThreadLocal<SudokuGenerator>(() => new SudokuGenerator(shape));
        int batch = Math.Max(16, 8 * threads);
        long attempts = 0;
        while (result.Count < count)
        {
            if (attempts >= cap)
                throw new HrmException($"found only {result.Count} of {count} distinct {shape.N}x{shape.N} puzzles ({options}) in {attempts} attempts; relax the filters");
            int size = (int)Math.Min(batch, cap - attempts);
            var candidates = new SudokuPuzzle?[size];
            long start = attempts;
            Parallel.For(0, size, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                var p = generators.Value!.GenerateOne(new Random(AttemptSeed(seed, start + i)));
                candidates[i] = options.Accepts(p) ? p : null;
            });
            attempts += size;
            foreach (var p in candidates)
                if (p is not null && result.Count < count && exclude.Add(SudokuShape.Format(p.Cells)))
                    result.Add(p);
            progress?.Invoke(result.Count, attempts);
        }
        return result;
    }

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
