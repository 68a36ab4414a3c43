namespace Hrm.Tasks.Maze;

/// <summary>
/// Settings of the maze generator. <see cref="MinPathLength"/> null means the default for the size.
/// <see cref="AllowTies"/> false (the default) keeps only mazes with exactly one shortest S-G path, so the label is the
/// only right answer; true also keeps mazes with several equally short paths (the label then marks one of them).
/// </summary>
public sealed record MazeGeneratorOptions(int Size = 30, int? MinPathLength = null, double LoopFraction = 0.1, bool AllowTies = false,
    MazeStyle Style = MazeStyle.Corridors, double WallDensityMin = MazeGeneratorOptions.DefaultWallDensityMin,
    double WallDensityMax = MazeGeneratorOptions.DefaultWallDensityMax)
{
    public const int MinSize = 3, MaxSize = 64;

    /// <summary>Random-wall mazes draw each maze's wall fraction uniformly from [min, max]: by default 0.3 to 0.5, the
    /// range Lehnert et al. (2024) describe for the mazes behind the reference's Maze-Hard set (30% to 50% of the
    /// cells made walls at random).</summary>
    public const double DefaultWallDensityMin = 0.3, DefaultWallDensityMax = 0.5;

    /// <summary>The reference's "hard" 30x30 set keeps mazes whose shortest path is longer than 110 moves;
    /// other sizes get the same fraction of their cells (9x9: 9, 11x11: 14).</summary>
    public static int DefaultMinPathLength(int size) => size == 30 ? 110 : size * size * 110 / 900;

    /// <summary>Every maze's shortest S-G path is strictly longer than this many moves.</summary>
    public int EffectiveMinPathLength => MinPathLength ?? DefaultMinPathLength(Size);

    /// <summary>Whether mazes with several shortest S-G paths are kept: with <see cref="AllowTies"/>, and always in the
    /// iid style (a random grid is left as drawn, and long shortest paths on one almost always tie).</summary>
    public bool KeepsTies => AllowTies || Style is MazeStyle.Iid or MazeStyle.All;

    public void Validate()
    {
        if (Size is < MinSize or > MaxSize) throw new HrmException($"maze size must be {MinSize}..{MaxSize}, got {Size}");
        if (EffectiveMinPathLength < 0) throw new HrmException($"min_path must be >= 0, got {EffectiveMinPathLength}") { Key = "min_path" };
        // A shortest path visits distinct open cells, and at most about half the cells are open in a carved maze.
        if (EffectiveMinPathLength >= Size * Size / 2)
            throw new HrmException($"min_path {EffectiveMinPathLength} is unreachable on a {Size}x{Size} maze (must be below {Size * Size / 2}, and well below it to generate quickly)") { Key = "min_path" };
        if (LoopFraction is < 0 or > 1) throw new HrmException($"loop fraction must be in [0, 1], got {LoopFraction}");
        if (WallDensityMin is < 0 or >= 1 || WallDensityMax is < 0 or >= 1 || WallDensityMin > WallDensityMax)
            throw new HrmException($"wall density must be a range within [0, 1) with min <= max, got {WallDensityMin}-{WallDensityMax}");
    }

    /// <summary>Parses a wall density (the CLI's --wall-density): one fraction ("0.4") or a range ("0.3-0.5").</summary>
    public static (double Min, double Max) ParseDensity(string text)
    {
        var parts = text.Split('-', 2);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        if (!double.TryParse(parts[0], System.Globalization.NumberStyles.Float, inv, out double lo)
            || !double.TryParse(parts.Length > 1 ? parts[1] : parts[0], System.Globalization.NumberStyles.Float, inv, out double hi))
            throw new HrmException($"wall_density must be a fraction (0.4) or a range (0.3-0.5), got '{text}'") { Key = "wall_density" };
        return (lo, hi);
    }
}

/// <summary>How mazes are drawn: <see cref="Corridors"/> carves a spanning tree of corridors between rooms (ours);
/// <see cref="Walls"/> puts walls on random cells, then adds walls until the shortest path is unique and long enough;
/// <see cref="Iid"/> puts walls on random cells and nothing else, ties kept: the kind of Lehnert et al. (2024) from
/// which the reference's Maze-Hard set comes; <see cref="Mixed"/> draws each maze's style (corridors or walls) by a
/// coin flip; <see cref="All"/> draws it among corridors, walls and iid, a third each (ties kept on the iid ones).</summary>
public enum MazeStyle { Corridors, Walls, Mixed, Iid, All }

public static class MazeStyles
{
    public static MazeStyle Parse(string text) => text.ToLowerInvariant() switch
    {
        "corridors" => MazeStyle.Corridors,
        "walls" => MazeStyle.Walls,
        "mixed" => MazeStyle.Mixed,
        "iid" => MazeStyle.Iid,
        "all" => MazeStyle.All,
        _ => throw new HrmException($"style must be corridors, walls, iid, mixed or all, not '{text}'") { Key = "style" },
    };
    public static string Name(this MazeStyle style) => style.ToString().ToLowerInvariant();
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
/// The walls style (<see cref="MazeStyle.Walls"/>) instead makes each cell a wall with a probability drawn per maze
/// from the density range, takes S as a random open cell and G as a random open cell farther than the minimum whose
/// shortest path from S is unique (counted in the same BFS), so no draw is rejected for a tie; a maze without such a
/// cell is drawn again.
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
        // "all" picks the maze's style once, so that a style whose draws fail more often is not drawn less.
        var style = _options.Style == MazeStyle.All ? rng.Next(3) switch { 0 => MazeStyle.Corridors, 1 => MazeStyle.Walls, _ => MazeStyle.Iid } : _options.Style;
        for (int attempt = 0; attempt < mazeTries * (style == MazeStyle.Iid ? IidGridsPerTry : 1); attempt++)
        {
            if (style == MazeStyle.Iid)
            {
                if (NextIid(rng, min) is MazePuzzle iid) return iid;
                continue;
            }
            bool walls = style == MazeStyle.Walls || (style == MazeStyle.Mixed && rng.Next(2) == 1);
            if (walls)
            {
                if (NextWalls(rng, min) is MazePuzzle m) return m;
                continue;
            }
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
                if (paths[goal] > 1 && !_options.AllowTies) { Rejected++; continue; }   // corridors keep ties only when asked, also in "all"
                grid[start] = MazeEncoding.Start;
                grid[goal] = MazeEncoding.Goal;
                return new MazePuzzle(_n, grid, MazeSolver.Solve(grid, _n));
            }
        }
        if (style == MazeStyle.Iid)
            throw new HrmException($"could not generate a {_n}x{_n} iid random-wall maze (density {_options.WallDensityMin:0.##}-{_options.WallDensityMax:0.##}) with a shortest path longer than {min} in {mazeTries * IidGridsPerTry} grids; lower min_path or move wall_density towards 0.4")
            { Key = "min_path", OtherKeys = ["wall_density"] };
        throw new HrmException($"could not generate a {_n}x{_n} maze with a {(_options.AllowTies ? "" : "unique ")}shortest path longer than {min} in {mazeTries} tries; lower min_path{(_options.AllowTies ? "" : " or loops, or set allow_ties")}")
        { Key = "min_path", OtherKeys = ["loops", "allow_ties"] };
    }

    /// <summary>Random grids the iid style draws per try of <see cref="Next"/> (a 30x30 grid has a pair more than 110
    /// moves apart about once in 500 draws at density 0.3-0.5).</summary>
    const int IidGridsPerTry = 50;
    const int IidStartsPerGrid = 8;

    /// <summary>
    /// The paper's kind of maze (Lehnert et al. 2024, filtered to long paths for Maze-Hard), or null when this grid has
    /// no S-G pair far enough apart. Each cell is a wall independently, with a probability drawn per maze uniformly from
    /// the density range; nothing is added or removed afterwards. S is a uniformly random open cell and G a uniformly
    /// random open cell whose BFS distance from S exceeds the minimum (up to <see cref="IidStartsPerGrid"/> starts per
    /// grid). Ties are kept: the label marks one shortest path (<see cref="MazeSolver.Solve"/>), and any shortest path
    /// is a valid answer (<see cref="MazeSolver.Verify"/>).
    /// </summary>
    MazePuzzle? NextIid(Random rng, int min)
    {
        Grids++;
        var grid = RandomWalls(rng);
        var open = new List<int>();
        for (int i = 0; i < grid.Length; i++) if (grid[i] == MazeEncoding.Open) open.Add(i);
        if (open.Count < 2) return null;
        var far = new List<int>();
        for (int t = 0; t < IidStartsPerGrid; t++)
        {
            int start = open[rng.Next(open.Count)];
            var dist = MazeSolver.Distances(grid, _n, start);
            far.Clear();
            foreach (int c in open) if (dist[c] > min) far.Add(c);
            if (far.Count == 0) continue;
            int goal = far[rng.Next(far.Count)];
            grid[start] = MazeEncoding.Start;
            grid[goal] = MazeEncoding.Goal;
            return new MazePuzzle(_n, grid, MazeSolver.Solve(grid, _n));
        }
        return null;
    }

    /// <summary>
    /// A random-wall maze, or null when this draw cannot be finished. Walls fall on random cells (density drawn from
    /// the range); S is a random open cell and G a random open cell farther than the minimum, else the farthest cell
    /// S reaches. Then walls are added, one random cell at a time, until the S-G shortest path is unique and long
    /// enough: while it ties, a cell that lies on another shortest path but not on the label's path; while it is too
    /// short, a cell of the label's path (undone if it cuts G off). On 30x30 an untouched random grid almost never has
    /// a unique shortest path above 110 moves, so this is what makes such mazes at all; the added walls raise the
    /// density a little (<see cref="AddedWalls"/> counts them).
    /// </summary>
    MazePuzzle? NextWalls(Random rng, int min)
    {
        var grid = RandomWalls(rng);
        var open = new List<int>();
        for (int i = 0; i < grid.Length; i++) if (grid[i] == MazeEncoding.Open) open.Add(i);
        if (open.Count < 2) return null;
        int start = open[rng.Next(open.Count)];
        var dist0 = MazeSolver.Distances(grid, _n, start);
        var far = open.Where(c => dist0[c] > min).ToList();
        int goal;
        if (far.Count > 0) goal = far[rng.Next(far.Count)];
        else
        {
            int best = open.Max(c => dist0[c]);
            if (best < 1) return null;
            var farthest = open.Where(c => dist0[c] == best).ToList();
            goal = farthest[rng.Next(farthest.Count)];
        }
        grid[start] = MazeEncoding.Start;
        grid[goal] = MazeEncoding.Goal;
        var keep = new HashSet<int>();   // path cells whose wall would cut G off
        var candidates = new List<int>();
        for (int step = 0; step < grid.Length * 2; step++)
        {
            var (dist, count) = MazeSolver.CountShortestPaths(grid, _n, start);
            int d = dist[goal];
            if (d < 0) return null;
            bool tied = count[goal] > 1 && !_options.AllowTies;
            if (!tied && d > min) return new MazePuzzle(_n, grid, MazeSolver.Solve(grid, _n));
            var label = MazeSolver.Solve(grid, _n);
            candidates.Clear();
            if (tied)
            {
                var toGoal = MazeSolver.Distances(grid, _n, goal);
                for (int c = 0; c < grid.Length; c++)
                    if (grid[c] == MazeEncoding.Open && label[c] != MazeEncoding.Path && dist[c] >= 0 && toGoal[c] >= 0 && dist[c] + toGoal[c] == d)
                        candidates.Add(c);
                if (candidates.Count == 0) return null;
                grid[candidates[rng.Next(candidates.Count)]] = MazeEncoding.Wall;
                AddedWalls++;
                continue;
            }
            for (int c = 0; c < grid.Length; c++) if (label[c] == MazeEncoding.Path && !keep.Contains(c)) candidates.Add(c);
            if (candidates.Count == 0) return null;
            int cut = candidates[rng.Next(candidates.Count)];
            grid[cut] = MazeEncoding.Wall;
            if (MazeSolver.Distances(grid, _n, start)[goal] < 0) { grid[cut] = MazeEncoding.Open; keep.Add(cut); }
            else AddedWalls++;
        }
        return null;
    }

    /// <summary>Walls the walls style added to random grids (to break ties and lengthen paths) so far.</summary>
    public long AddedWalls { get; private set; }

    /// <summary>Random grids the iid style has drawn so far.</summary>
    public long Grids { get; private set; }

    int[] RandomWalls(Random rng)
    {
        double density = _options.WallDensityMin + rng.NextDouble() * (_options.WallDensityMax - _options.WallDensityMin);
        var grid = new int[_n * _n];
        for (int i = 0; i < grid.Length; i++) grid[i] = rng.NextDouble() < density ? MazeEncoding.Wall : MazeEncoding.Open;
        return grid;
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
