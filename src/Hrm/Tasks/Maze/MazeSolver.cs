namespace Hrm.Tasks.Maze;

/// <summary>Breadth-first search on maze grids: distances, one shortest path, and label verification.</summary>
public static class MazeSolver
{
    /// <summary>
    /// BFS distances (in moves, 4-neighbourhood) from <paramref name="source"/> over every non-wall, non-pad
    /// cell; -1 where unreachable.
    /// </summary>
    public static int[] Distances(ReadOnlySpan<int> grid, int size, int source) => Bfs(grid, size, source, out _, out _);

    // The queue doubles as the cells in visiting order (non-decreasing distance); `reached` of them.
    static int[] Bfs(ReadOnlySpan<int> grid, int size, int source, out int[] queue, out int reached)
    {
        var dist = new int[grid.Length];
        Array.Fill(dist, -1);
        queue = new int[grid.Length];
        int head = 0, tail = 0;
        dist[source] = 0;
        queue[tail++] = source;
        while (head < tail)
        {
            int cell = queue[head++], r = cell / size, c = cell % size, d = dist[cell] + 1;
            if (r > 0) Visit(grid, dist, queue, ref tail, cell - size, d);
            if (r < size - 1) Visit(grid, dist, queue, ref tail, cell + size, d);
            if (c > 0) Visit(grid, dist, queue, ref tail, cell - 1, d);
            if (c < size - 1) Visit(grid, dist, queue, ref tail, cell + 1, d);
        }
        reached = tail;
        return dist;

        static void Visit(ReadOnlySpan<int> grid, int[] dist, int[] queue, ref int tail, int n, int d)
        {
            if (dist[n] < 0 && grid[n] > MazeEncoding.Wall) { dist[n] = d; queue[tail++] = n; }
        }
    }

    /// <summary>
    /// BFS layer count from <paramref name="source"/>: distances as <see cref="Distances"/>, and for every reached cell
    /// the number of distinct shortest paths from the source to it, capped at <paramref name="cap"/> (so the sums
    /// cannot overflow on big open grids). A cell's count is the sum of the counts of its neighbours one layer closer.
    /// </summary>
    public static (int[] Distance, int[] Count) CountShortestPaths(ReadOnlySpan<int> grid, int size, int source, int cap = 2)
    {
        if (cap < 1) throw new ArgumentOutOfRangeException(nameof(cap), cap, "cap must be >= 1");
        // In BFS order every neighbour one layer closer is final before a cell sums it.
        var dist = Bfs(grid, size, source, out var order, out int reached);
        var count = new int[grid.Length];
        count[source] = 1;
        for (int k = 1; k < reached; k++)
        {
            int cell = order[k], r = cell / size, c = cell % size, want = dist[cell] - 1;
            long sum = 0;
            if (r > 0 && dist[cell - size] == want) sum += count[cell - size];
            if (r < size - 1 && dist[cell + size] == want) sum += count[cell + size];
            if (c > 0 && dist[cell - 1] == want) sum += count[cell - 1];
            if (c < size - 1 && dist[cell + 1] == want) sum += count[cell + 1];
            count[cell] = (int)Math.Min(sum, cap);
        }
        return (dist, count);
    }

    /// <summary>Number of distinct shortest S-G paths of <paramref name="input"/>, capped at <paramref name="cap"/>; 0 if G is unreachable.</summary>
    public static int ShortestPathCount(ReadOnlySpan<int> input, int size, int cap = 2)
    {
        var (s, g) = StartAndGoal(input, "maze");
        return CountShortestPaths(input, size, s, cap).Count[g];
    }

    /// <summary>Shortest path length from S to G in moves, or -1 if G is unreachable.</summary>
    public static int ShortestPathLength(ReadOnlySpan<int> input, int size)
    {
        var (s, g) = StartAndGoal(input, "maze");
        return Distances(input, size, s)[g];
    }

    /// <summary>
    /// The label for <paramref name="input"/>: one shortest path from S to G marked 'o' (S and G stay).
    /// Among equally short paths it follows, from S, the first of up, down, left, right that gets closer to G.
    /// Throws HrmException if the maze has no path.
    /// </summary>
    public static int[] Solve(ReadOnlySpan<int> input, int size)
    {
        var (s, g) = StartAndGoal(input, "maze");
        var toGoal = Distances(input, size, g);
        if (toGoal[s] < 0) throw new HrmException("maze: the goal cannot be reached from the start");
        var label = input.ToArray();
        int cell = s;
        while (toGoal[cell] > 1)
        {
            int r = cell / size, c = cell % size, want = toGoal[cell] - 1;
            if (r > 0 && toGoal[cell - size] == want) cell -= size;
            else if (r < size - 1 && toGoal[cell + size] == want) cell += size;
            else if (c > 0 && toGoal[cell - 1] == want) cell -= 1;
            else cell += 1;
            label[cell] = MazeEncoding.Path;
        }
        return label;
    }

    /// <summary>
    /// Why <paramref name="label"/> is not a valid answer for <paramref name="input"/>, or null if it is: the input
    /// has exactly one S and one G, no 'o' and a path; the label equals the input except on the 'o' cells, which are
    /// open in the input and form a connected S-G path whose length equals the BFS shortest distance.
    /// </summary>
    public static string? Verify(ReadOnlySpan<int> input, ReadOnlySpan<int> label, int size)
    {
        if (input.Length != size * size || label.Length != size * size) return $"expected {size * size} cells";
        int starts = 0, goals = 0, s = -1, g = -1, marked = 0;
        for (int i = 0; i < input.Length; i++)
        {
            int t = input[i];
            if (t is < MazeEncoding.Wall or > MazeEncoding.Path) return $"input token {t} at cell {i} is not a maze token";
            if (t == MazeEncoding.Path) return $"input has a path mark 'o' at cell {i}";
            if (t == MazeEncoding.Start) { starts++; s = i; }
            if (t == MazeEncoding.Goal) { goals++; g = i; }
            if (label[i] == MazeEncoding.Path)
            {
                if (t != MazeEncoding.Open) return $"label marks cell {i} ('{MazeEncoding.Char(t)}' in the input) as path";
                marked++;
            }
            else if (label[i] != t) return $"label differs from the input at cell {i}";
        }
        if (starts != 1 || goals != 1) return $"input needs exactly one S and one G (found {starts} S, {goals} G)";
        int shortest = Distances(input, size, s)[g];
        if (shortest < 0) return "the goal cannot be reached from the start";
        if (marked + 1 != shortest) return $"marked path has {marked + 1} moves, the shortest path has {shortest}";
        // BFS restricted to the marked cells: it reaches G in `shortest` moves only if the marks form an S-G path
        // (then, having exactly shortest-1 cells, every mark lies on it).
        var onPath = new int[label.Length];
        for (int i = 0; i < label.Length; i++)
            onPath[i] = label[i] == MazeEncoding.Path || i == s || i == g ? MazeEncoding.Open : MazeEncoding.Wall;
        if (Distances(onPath, size, s)[g] != shortest) return "marked cells do not form a connected path from S to G";
        return null;
    }

    /// <summary>
    /// The rule check for a predicted answer: true iff <paramref name="prediction"/> equals <paramref name="input"/>
    /// except for 'o' cells that form a shortest S-G path, any of them when several are equally short (see
    /// <see cref="Verify"/>). This is what "valid accuracy" counts, so a tied maze solved by another shortest path is right.
    /// </summary>
    public static bool IsValidAnswer(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction, int size) => Verify(input, prediction, size) is null;

    /// <summary>Fraction of (input, prediction) rows whose prediction is a valid answer; 0 for no rows.</summary>
    public static double ValidAccuracy(IEnumerable<(int[] Input, int[] Prediction)> rows, int size)
    {
        int total = 0, valid = 0;
        foreach (var (input, prediction) in rows)
        {
            total++;
            if (IsValidAnswer(input, prediction, size)) valid++;
        }
        return total == 0 ? 0 : (double)valid / total;
    }

    internal static (int Start, int Goal) StartAndGoal(ReadOnlySpan<int> grid, string where)
    {
        int s = grid.IndexOf(MazeEncoding.Start), g = grid.IndexOf(MazeEncoding.Goal);
        if (s < 0 || g < 0) throw new HrmException($"{where}: needs a start 'S' and a goal 'G'");
        return (s, g);
    }
}
