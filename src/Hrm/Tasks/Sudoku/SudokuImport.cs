namespace Hrm.Tasks.Sudoku;

/// <summary>
/// Reads public puzzle collections: the Sudoku-Extreme CSV (<c>source,question,answer,rating</c> header, '.' for
/// blanks) and the common one-puzzle-per-line text (16, 36 or 81 cells, '.' or '0' for blanks, anything after the
/// cells ignored; blank lines and '#' comments skipped). The grid size follows from the cell count and must be the
/// same on every line. Errors name the file and the line.
/// </summary>
public static class SudokuImport
{
    static readonly string[] CsvColumns = { "question", "answer", "rating" };

    /// <summary>Reads either format, told apart by a CSV header naming a 'question' column on the first line.</summary>
    public static List<SudokuPuzzle> Read(string path, int? minRating = null)
    {
        var lines = ReadAllLines(path);
        return IsCsvHeader(lines[0]) ? ParseCsv(path, lines, minRating) : ParseLines(path, lines, minRating);
    }

    public static List<SudokuPuzzle> ReadCsv(string path, int? minRating = null) => ParseCsv(path, ReadAllLines(path), minRating);

    public static List<SudokuPuzzle> ReadLines(string path, int? minRating = null) => ParseLines(path, ReadAllLines(path), minRating);

    /// <summary><paramref name="count"/> puzzles drawn without replacement, in random order (as the reference's subsampling).</summary>
    public static List<SudokuPuzzle> Subsample(IReadOnlyList<SudokuPuzzle> puzzles, int count, Random random)
    {
        if (count >= puzzles.Count) return puzzles.ToList();
        var indices = Enumerable.Range(0, puzzles.Count).ToArray();
        random.Shuffle(indices);
        return indices.Take(count).Select(i => puzzles[i]).ToList();
    }

    static List<string> ReadAllLines(string path)
    {
        var lines = Data.TextLines.ReadAll(path);
        if (lines.All(string.IsNullOrWhiteSpace)) throw new HrmException($"{path}: empty file");
        return lines;
    }

    static bool IsCsvHeader(string line) => line.Contains(',') && line.Split(',').Any(f => f.Trim() == "question");

    static List<SudokuPuzzle> ParseCsv(string path, List<string> lines, int? minRating)
    {
        var header = lines[0].Split(',').Select(f => f.Trim()).ToArray();
        var col = CsvColumns.ToDictionary(c => c, c => Array.IndexOf(header, c));
        foreach (var (name, index) in col)
            if (index < 0) throw new HrmException($"{path} line 1: missing column '{name}' (header: {lines[0]})");
        var puzzles = new List<SudokuPuzzle>();
        SudokuShape? shape = null;
        for (int i = 1; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            string where = $"{path} line {i + 1}";
            var fields = lines[i].Split(',');
            if (fields.Length != header.Length) throw new HrmException($"{where}: expected {header.Length} fields, found {fields.Length}");
            string question = fields[col["question"]].Trim(), answer = fields[col["answer"]].Trim();
            if (!int.TryParse(fields[col["rating"]].Trim(), out int rating) || rating < 0)
                throw new HrmException($"{where}: rating '{fields[col["rating"]]}' is not a non-negative integer");
            shape = CheckSize(where, question.Length, shape);
            if (answer.Length != question.Length) throw new HrmException($"{where}: answer has {answer.Length} cells, question {question.Length}");
            var cells = ParseCells(where, "question", question, shape);
            CheckGivens(where, "question", cells, shape);
            var solution = ParseCells(where, "answer", answer, shape);
            if (!shape.IsValidSolution(solution)) throw new HrmException($"{where}: answer is not a valid {shape.N}x{shape.N} solution");
            if (!SudokuShape.IsConsistent(cells, solution)) throw new HrmException($"{where}: answer contradicts a clue of the question");
            if (minRating is int min && rating < min) continue;
            puzzles.Add(new SudokuPuzzle(cells, solution, rating));
        }
        if (shape is null) throw new HrmException($"{path}: no puzzles after the header");
        return puzzles;
    }

    static List<SudokuPuzzle> ParseLines(string path, List<string> lines, int? minRating)
    {
        var puzzles = new List<SudokuPuzzle>();
        SudokuShape? shape = null;
        SudokuSolver? solver = null;
        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i].TrimStart();
            if (line.Length == 0 || line[0] == '#') continue;
            string where = $"{path} line {i + 1}";
            int length = 0;
            while (length < line.Length && (char.IsAsciiDigit(line[length]) || line[length] == '.')) length++;
            shape = CheckSize(where, length, shape);
            solver ??= new SudokuSolver(shape);
            var cells = ParseCells(where, "puzzle", line[..length], shape);
            CheckGivens(where, "puzzle", cells, shape);
            var result = solver.Solve(cells, limit: 2);
            if (result.Solutions != 1)
                throw new HrmException($"{where}: puzzle has {(result.Solutions == 0 ? "no solution" : "more than one solution")}");
            if (minRating is int min && result.Guesses < min) continue;
            puzzles.Add(new SudokuPuzzle(cells, result.Solution!, result.Guesses));
        }
        if (shape is null) throw new HrmException($"{path}: no puzzles (only blank lines and # comments)");
        return puzzles;
    }

    static SudokuShape CheckSize(string where, int cells, SudokuShape? expected)
    {
        var shape = SudokuShape.OfCellCount(cells)
            ?? throw new HrmException($"{where}: {cells} cells; a Sudoku line has 16, 36 or 81 (4x4, 6x6, 9x9)");
        if (expected is not null && shape != expected)
            throw new HrmException($"{where}: {cells} cells, but earlier lines have {expected.Cells}; all puzzles of a file must have one size");
        return shape;
    }

    // A repeated given is the usual cause of "no solution"; saying which digit and where is more use.
    static void CheckGivens(string where, string what, int[] cells, SudokuShape shape)
    {
        if (new SudokuTask(shape).ConflictingGiven(cells) is string conflict) throw new HrmException($"{where}: {what}: {conflict}");
    }

    static int[] ParseCells(string where, string what, string text, SudokuShape shape)
    {
        try { return shape.Parse(text); }
        catch (ArgumentException e) { throw new HrmException($"{where}: {what} {e.Message}"); }
    }
}
