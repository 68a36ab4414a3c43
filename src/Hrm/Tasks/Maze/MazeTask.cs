namespace Hrm.Tasks.Maze;

/// <summary>N x N mazes as a <see cref="PuzzleTask"/>: tokens <see cref="MazeEncoding"/>; the answer marks a shortest path 'o'.</summary>
public sealed class MazeTask(int size) : PuzzleTask
{
    public int Size { get; } = size;
    public override string Name => "maze";
    public override int SeqLen => Size * Size;
    public override int VocabSize => MazeEncoding.VocabSize;
    public override string Describe() => $"a {Size}x{Size} maze";
    public override string RuleText => "the maze unchanged except 'o' cells forming a shortest S-G path";

    public static MazeTask OfSeqLen(int seqLen)
    {
        int n = GridSize.SquareSide(seqLen);
        return n >= 2 ? new MazeTask(n) : throw new HrmException($"task maze: seq_len {seqLen} is not an N x N grid");
    }

    /// <summary>
    /// N lines of N characters '#' wall, ' ' open, 'S' start, 'G' goal (one each); '\r' and empty trailing lines are
    /// ignored; the goal must be reachable; no 'o' (the path is what the model marks).
    /// </summary>
    public override int? SeqLenOf(string text)
    {
        var lines = Lines(text);
        int n = lines.Count;
        return n >= MazeGeneratorOptions.MinSize && n <= MazeGeneratorOptions.MaxSize && lines.All(l => l.Length == n) ? n * n : null;
    }

    public override bool RunsOtherSizes => true;
    public override IReadOnlyList<(int Rows, int Cols)> GridSizes => [(Size, Size)];

    /// <summary>A maze of the generator's default difficulty drawn with <paramref name="seed"/>, with its shortest path;
    /// null for a size the generator does not make.</summary>
    public override TaskExample? Example(int seed)
    {
        if (Size is < MazeGeneratorOptions.MinSize or > MazeGeneratorOptions.MaxSize) return null;
        var p = new MazeGenerator(new MazeGeneratorOptions(Size)).Next(new Random(seed));
        return new TaskExample(FormatInput(p.Input), Decode(p.Input, p.Label).Text, $"generated (seed {seed})");
    }

    public override int[] Parse(string text)
    {
        var lines = Lines(text);
        int n = lines.Count;
        if (n == 0) throw new HrmException("maze: no lines");
        for (int r = 0; r < n; r++)
            if (lines[r].Length != n)
                throw new HrmException($"maze: line {r + 1} has {lines[r].Length} characters; a maze of {n} lines needs {n} per line (N x N)");
        if (n != Size) throw new HrmException($"maze: the maze is {n}x{n} but this model expects {Describe()}");
        var flat = string.Concat(lines);
        if (flat.IndexOf('o') is int o and >= 0)
            throw new HrmException($"maze: line {o / n + 1} already has a path mark 'o'; give the maze without its path");
        var input = MazeEncoding.Encode(flat, "maze");
        int starts = input.Count(t => t == MazeEncoding.Start), goals = input.Count(t => t == MazeEncoding.Goal);
        if (starts != 1 || goals != 1) throw new HrmException($"maze: needs exactly one 'S' and one 'G' (found {starts} S, {goals} G)");
        if (MazeSolver.ShortestPathLength(input, n) < 0) throw new HrmException("maze: the goal cannot be reached from the start");
        return input;
    }

    public override string FormatInput(ReadOnlySpan<int> input) => Text(input);

    public override DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction) =>
        new(Text(prediction), prediction.ToArray(), Size, Size);

    public override string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction) => MazeSolver.Verify(input, prediction, Size);

    string Text(ReadOnlySpan<int> tokens)
    {
        var chars = new char[tokens.Length];
        for (int i = 0; i < chars.Length; i++) chars[i] = tokens[i] is >= MazeEncoding.Wall and <= MazeEncoding.Path ? MazeEncoding.Char(tokens[i]) : '?';
        return string.Join('\n', Enumerable.Range(0, Size).Select(r => new string(chars, r * Size, Size)));
    }

    public override string DifficultyMeasure => "path_length";

    /// <summary>Moves on the shortest S-G path; null for a grid without one S and one G or with an unreachable goal.</summary>
    public override int? Difficulty(ReadOnlySpan<int> input)
    {
        try { return MazeSolver.ShortestPathLength(input, Size) is int d and >= 0 ? d : null; }
        catch (HrmException) { return null; }
    }

    public override IReadOnlyList<ITokenView> Views(int[] input, int k, int seed) => MazeViews.Views(input, k, seed);
}
