namespace Hrm.Tasks.Maze;

/// <summary>
/// Settings of the maze generator. <see cref="MinPathLength"/> null means the default for the size.
/// <see cref="AllowTies"/> false (the default) keeps only mazes with exactly one shortest S-G path, so the label is the
/// only right answer; true also keeps mazes with several equally short paths (the label then marks one of them).
/// </summary>
public sealed record MazeGeneratorOptions(int Size = 30, int? MinPathLength = null, double LoopFraction = 0.1, bool AllowTies = false)
{
    public const int MinSize = 3, MaxSize = 64;

    /// <summary>The reference's "hard" 30x30 set keeps mazes whose shortest path is longer than 110 moves;
    /// other sizes get the same fraction of their cells (9x9: 9, 11x11: 14).</summary>
    public static int DefaultMinPathLength(int size) => size == 30 ? 110 : size * size * 110 / 900;

    /// <summary>Every maze's shortest S-G path is strictly longer than this many moves.</summary>
    public int EffectiveMinPathLength => MinPathLength ?? DefaultMinPathLength(Size);

    public void Validate()
    {
        if (Size is < MinSize or > MaxSize) throw new HrmException($"maze size must be {MinSize}..{MaxSize}, got {Size}");
        if (EffectiveMinPathLength < 0) throw new HrmException($"--min-path must be >= 0, got {EffectiveMinPathLength}");
        // A shortest path visits distinct open cells, and at most about half the cells are open in a carved maze.
        if (EffectiveMinPathLength >= Size * Size / 2)
            throw new HrmException($"--min-path {EffectiveMinPathLength} is unreachable on a {Size}x{Size} maze (must be below {Size * Size / 2}, and well below it to generate quickly)");
        if (LoopFraction is < 0 or > 1) throw new HrmException($"loop fraction must be in [0, 1], got {LoopFraction}");
    }
}

/// <summary>
/// Generates N x N mazes with a start, a goal and a guaranteed path whose BFS-shortest length exceeds a minimum.
/// Rooms sit on a lattice of every other cell (offset by a random 0 or 1 on even sizes, so the spare wall line moves);
/// a randomized depth-first search carves a spanning tree between them (long winding corridors), then a fraction
/// of the remaining walls between two rooms is knocked out, giving loops and several routes so that the shortest
/// path is not simply the only path. S is a random open cell and G a random open cell farther than the minimum.
/// Unless ties are allowed, a draw whose S-G pair has more than one shortest path (counted by a BFS layer count) is
/// rejected and drawn again, so the mazes are today's distribution conditioned on a unique shortest path; walls are
/// never added, so loops elsewhere in the maze stay. <see cref="Rejected"/> counts the rejected draws.
/// Reproducible: the same <see cref="Random"/> seed gives the same mazes.
/// </summary>
public sealed class MazeGenerator
{
    readonly MazeGeneratorOptions _options;
    readonly int _n;

    public MazeGenerator(MazeGeneratorOptions options)
    {
        options.Validate();
        _options = options;
        _n = options.Size;
    }

    public MazeGeneratorOptions Options => _options;

    /// <summary>Start-goal draws dropped so far because their shortest path was not unique.</summary>
    public long Rejected { get; private set; }

    /// <summary>One maze meeting the minimum path length. Throws HrmException if many tries all fail.</summary>
    public MazePuzzle Next(Random rng)
    {
        const int mazeTries = 2000, startTries = 8;
        int min = _options.EffectiveMinPathLength;
        var open = new List<int>();
        var far = new List<int>();
        for (int attempt = 0; attempt < mazeTries; attempt++)
        {
            var grid = Carve(rng);
            open.Clear();
            for (int i = 0; i < grid.Length; i++) if (grid[i] == MazeEncoding.Open) open.Add(i);
            if (open.Count < 2) continue;
            for (int s = 0; s < startTries; s++)
            {
                int start = open[rng.Next(open.Count)];
                var (dist, paths) = MazeSolver.CountShortestPaths(grid, _n, start);
                far.Clear();
                foreach (var cell in open) if (dist[cell] > min) far.Add(cell);
                if (far.Count == 0) continue;
                int goal = far[rng.Next(far.Count)];
                if (paths[goal] > 1 && !_options.AllowTies) { Rejected++; continue; }
                grid[start] = MazeEncoding.Start;
                grid[goal] = MazeEncoding.Goal;
                return new MazePuzzle(_n, grid, MazeSolver.Solve(grid, _n));
            }
        }
        throw new HrmException($"could not generate a {_n}x{_n} maze with a {(_options.AllowTies ? "" : "unique ")}shortest path longer than {min} in {mazeTries} tries; lower --min-path{(_options.AllowTies ? "" : " or --loops, or pass --allow-ties")}");
    }

    int[] Carve(Random rng)
    {
        int n = _n;
        var grid = new int[n * n];
        Array.Fill(grid, MazeEncoding.Wall);
        int offR = n % 2 == 0 ? rng.Next(2) : 0, offC = n % 2 == 0 ? rng.Next(2) : 0;
        int rows = (n - offR + 1) / 2, cols = (n - offC + 1) / 2;   // rooms per axis
        int Cell(int rr, int rc) => (offR + 2 * rr) * n + offC + 2 * rc;

        // Randomized depth-first search over rooms.
        var visited = new bool[rows * cols];
        var stack = new Stack<int>();
        Span<int> next = stackalloc int[4];
        int first = rng.Next(rows * cols);
        visited[first] = true;
        grid[Cell(first / cols, first % cols)] = MazeEncoding.Open;
        stack.Push(first);
        while (stack.Count > 0)
        {
            int room = stack.Peek(), rr = room / cols, rc = room % cols, k = 0;
            if (rr > 0 && !visited[room - cols]) next[k++] = room - cols;
            if (rr < rows - 1 && !visited[room + cols]) next[k++] = room + cols;
            if (rc > 0 && !visited[room - 1]) next[k++] = room - 1;
            if (rc < cols - 1 && !visited[room + 1]) next[k++] = room + 1;
            if (k == 0) { stack.Pop(); continue; }
            int to = next[rng.Next(k)];
            visited[to] = true;
            int a = Cell(rr, rc), b = Cell(to / cols, to % cols);
            grid[b] = MazeEncoding.Open;
            grid[(a + b) / 2] = MazeEncoding.Open;   // the wall between two rooms
            stack.Push(to);
        }

        // Loops: remove some of the walls that still separate two adjacent rooms.
        for (int rr = 0; rr < rows; rr++)
            for (int rc = 0; rc < cols; rc++)
            {
                int a = Cell(rr, rc);
                if (rr < rows - 1 && grid[a + n] == MazeEncoding.Wall && rng.NextDouble() < _options.LoopFraction) grid[a + n] = MazeEncoding.Open;
                if (rc < cols - 1 && grid[a + 1] == MazeEncoding.Wall && rng.NextDouble() < _options.LoopFraction) grid[a + 1] = MazeEncoding.Open;
            }
        return grid;
    }
}
