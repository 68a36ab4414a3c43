namespace Hrm.Tasks.Sudoku;

/// <summary>Sudoku of one size as a <see cref="PuzzleTask"/>: tokens are digit + 1 (1 = blank, 0 = pad).</summary>
public sealed class SudokuTask(SudokuShape shape) : PuzzleTask
{
    public SudokuShape Shape { get; } = shape;
    public override string Name => "sudoku";
    public override int SeqLen => Shape.SeqLen;
    public override int VocabSize => Shape.VocabSize;
    public override string Describe() => $"a {Shape.N}x{Shape.N} Sudoku";
    /// <summary>The puzzle as n lines of n cells ('.' blank).</summary>
    public override string FormatGrid(ReadOnlySpan<int> input)
    {
        var flat = FormatInput(input);
        int n = Shape.N;
        return flat.Contains('\n') ? flat : string.Join('\n', Enumerable.Range(0, flat.Length / n).Select(r => flat.Substring(r * n, n)));
    }
    public override string RuleText => "a complete valid grid keeping the givens";

    /// <summary>
    /// A Sudoku of this size in one string (whitespace, '|', '-' and '+' ignored, so a printed grid pastes back; '.' or
    /// '0' blank; digits 1..n). Givens that repeat a digit in a row, column or box are rejected.
    /// </summary>
    public override int[] Parse(string text)
    {
        var cells = Cells(text);
        if (cells.Length != Shape.Cells)
        {
            var other = SudokuShape.OfCellCount(cells.Length);
            throw new HrmException(other is not null
                ? $"Sudoku: the puzzle is {other.N}x{other.N} ({cells.Length} cells) but this model expects {Describe()} ({Shape.Cells} cells)"
                : $"Sudoku: {cells.Length} cells; {Describe()} has {Shape.Cells} ('.' or '0' for blanks)");
        }
        int[] grid;
        try { grid = Shape.Parse(cells); }
        catch (ArgumentException e) { throw new HrmException($"Sudoku: {e.Message}"); }
        if (ConflictingGiven(grid) is string conflict) throw new HrmException($"Sudoku: {conflict}");
        return Shape.Encode(grid);
    }

    public override IReadOnlyList<(int Rows, int Cols)> GridSizes => [(Shape.N, Shape.N)];

    /// <summary>The cells of a Sudoku written as <paramref name="text"/> (as <see cref="Parse"/> counts them) when they
    /// make a Sudoku of some size, else null.</summary>
    public override int? SeqLenOf(string text) => SudokuShape.OfCellCount(Cells(text).Length)?.SeqLen;

    /// <summary>The answer's rows, or the whole answer in one string of n*n characters.</summary>
    public override string ParseAnswer(string text)
    {
        var lines = text.Replace("\r", "").Split('\n').Where(l => l.Length > 0).ToList();
        int n = Shape.N;
        if (lines.Count == 1 && lines[0].Length == n * n) text = string.Join('\n', Enumerable.Range(0, n).Select(r => lines[0].Substring(r * n, n)));
        return base.ParseAnswer(text);
    }

    /// <summary>A minimal Sudoku of this size drawn with <paramref name="seed"/>, with its solution.</summary>
    public override TaskExample Example(int seed)
    {
        var p = new SudokuGenerator(Shape).GenerateOne(new Random(seed));
        var input = Shape.Encode(p.Cells);
        return new TaskExample(FormatInput(input), Decode(input, Shape.Encode(p.Solution)).Text, $"generated (seed {seed})");
    }

    static string Cells(string text) => new(text.Where(ch => !char.IsWhiteSpace(ch) && ch is not ('|' or '-' or '+')).ToArray());

    /// <summary>One line of digits, '.' for blanks (the import format).</summary>
    public override string FormatInput(ReadOnlySpan<int> input) => SudokuShape.Format(Digits(input));

    public override DecodedGrid Decode(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction)
    {
        var digits = Digits(prediction);
        return new DecodedGrid(Text(digits), digits, Shape.N, Shape.N);
    }

    public override string? Check(ReadOnlySpan<int> input, ReadOnlySpan<int> prediction) => Problem(Digits(input), Digits(prediction));

    public override string DifficultyMeasure => "blanks";

    /// <summary>Cells without a given digit.</summary>
    public override int? Difficulty(ReadOnlySpan<int> input) => Digits(input).Count(d => d == 0);

    /// <summary>Tokens to digits: token = digit + 1; blank and pad (and anything out of range) give 0.</summary>
    public int[] Digits(ReadOnlySpan<int> tokens)
    {
        var digits = new int[tokens.Length];
        for (int i = 0; i < digits.Length; i++) digits[i] = tokens[i] >= 2 && tokens[i] <= Shape.N + 1 ? tokens[i] - 1 : 0;
        return digits;
    }

    /// <summary>Why <paramref name="answer"/> (digits, 0 = blank) does not solve <paramref name="puzzle"/>, or null if it does.</summary>
    public string? Problem(ReadOnlySpan<int> puzzle, ReadOnlySpan<int> answer)
    {
        if (answer.Length != Shape.Cells) return $"expected {Shape.Cells} cells, got {answer.Length}";
        int blanks = 0;
        foreach (var d in answer) if (d == 0) blanks++;
        if (blanks > 0) return $"{blanks} cell(s) left blank";
        if (!Shape.IsValidSolution(answer)) return "a row, column or box repeats a digit";
        if (!SudokuShape.IsConsistent(puzzle, answer)) return "changes a given digit";
        return null;
    }

    /// <summary>The first given digit that repeats in its row, column or box, in words; null if none.</summary>
    public string? ConflictingGiven(ReadOnlySpan<int> grid)
    {
        var units = Shape.Units();
        string[] kinds = ["row", "column", "box"];
        for (int u = 0; u < units.Length; u++)
        {
            int seen = 0;
            foreach (var cell in units[u])
            {
                int d = grid[cell];
                if (d == 0) continue;
                if ((seen & (1 << d)) != 0) return $"digit {d} appears twice in {kinds[u / Shape.N]} {u % Shape.N + 1}";
                seen |= 1 << d;
            }
        }
        return null;
    }

    string Text(int[] digits) => string.Join('\n', Enumerable.Range(0, Shape.N).Select(r => SudokuShape.Format(digits.AsSpan(r * Shape.N, Shape.N))));

    public override IReadOnlyList<ITokenView> Views(int[] input, int k, int seed) => SudokuViews.Views(input, k, seed);
}
