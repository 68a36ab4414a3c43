using System.Text;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>Malformed Sudoku files (CSV and one puzzle per line), maze CSV and ARC JSON.</summary>
public static class TextCorpus
{
    static CorpusCase File(string kind, string name, string expected, string fileName, byte[] content, Action<string> read) =>
        new(kind, name, expected, dir =>
        {
            var path = Path.Combine(dir, fileName);
            System.IO.File.WriteAllBytes(path, content);
            return () => read(path);
        });

    static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
    static byte[] Bom(string s) => [0xEF, 0xBB, 0xBF, .. Utf8(s)];
    static string Crlf(string s) => s.Replace("\n", "\r\n");
    static string With(string s, int index, char c) => s[..index] + c + s[(index + 1)..];

    /// <summary>A file of one enormous line: a valid-looking start, then zeros up to 1 GiB (sparse, so no disk is used).</summary>
    static CorpusCase HugeLine(string kind, string name, string expected, string start, Action<string> read) =>
        new(kind, name, expected, dir =>
        {
            var path = Path.Combine(dir, "huge.csv");
            using (var f = new FileStream(path, FileMode.Create))
            {
                f.Write(Utf8(start));
                f.SetLength(1L << 30);
            }
            return () => read(path);
        }) { MaxAllocatedBytes = 64L << 20 };

    public static IEnumerable<CorpusCase> Sudoku()
    {
        CorpusCase S(string name, string expected, string content) => File("sudoku", name, expected, "puzzles.txt", Utf8(content), p => SudokuImport.Read(p));
        CorpusCase B(string name, string expected, byte[] content) => File("sudoku", name, expected, "puzzles.txt", content, p => SudokuImport.Read(p));
        const string H = SudokuCsvHeader + "\n";
        // one puzzle per line
        yield return S("empty", "empty file", "");
        yield return S("whitespace-only", "empty file", "  \n\t\n   \n");
        yield return S("comments-only", "no puzzles", "# a comment\n# another\n");
        yield return S("80-cells", "80 cells", Sudoku9[..80] + "\n");
        yield return S("82-cells", "82 cells", Sudoku9 + "1\n");
        yield return S("1-cell", "1 cells", "5\n");
        yield return S("17-cells", "17 cells", "1..4..2..3..4..12\n");
        yield return S("letter-inside", "40 cells", With(Sudoku9, 40, 'x') + "\n");
        yield return S("dash-blanks", "2 cells", Sudoku9.Replace('.', '-') + "\n");
        yield return S("digit-too-big-4x4", "'5' is not a blank or a digit 1..4", "1..5..2..3..4..1\n");
        yield return S("digit-too-big-6x6", "'7' is not a blank or a digit 1..6", "7" + new string('.', 35) + "\n");
        yield return S("duplicate-given-row", "appears twice in row 1", "55" + Sudoku9[2..] + "\n");
        yield return S("duplicate-given-column", "appears twice in column 1", With(Sudoku9, 9 * 8, '5') + "\n");
        yield return S("duplicate-given-box", "appears twice in box 1", With(Sudoku9, 11, '3') + "\n");
        yield return S("duplicate-given-4x4", "appears twice", "11..............\n");
        yield return S("no-solution", "no solution", "12.." + "...3" + "...." + "...." + "\n");
        yield return S("no-solution-9x9", "no solution", "12345678." + new string('.', 27) + "........9" + new string('.', 36) + "\n");
        yield return S("many-solutions", "more than one solution", new string('.', 81) + "\n");
        yield return S("many-solutions-4x4", "more than one solution", "1..." + new string('.', 12) + "\n");
        yield return S("mixed-sizes", "all puzzles of a file must have one size", Sudoku9 + "\n" + "1..4..2..3..4..1\n");
        yield return S("bad-second-line", "line 2", Sudoku9 + "\n" + Sudoku9[..79] + "\n");
        yield return S("crlf-bad-line", "line 3", Crlf(Sudoku9 + "\n" + Sudoku9 + "\n" + "12\n"));
        yield return B("bom-80-cells", "80 cells", Bom(Sudoku9[..80] + "\n"));
        yield return B("nul-bytes", "0 cells", new byte[100]);
        yield return B("binary", "cells", Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray());
        yield return S("long-digit-line", "10000 cells", new string('1', 10_000) + "\n");
        yield return S("tab-inside", "9 cells", Sudoku9[..9] + "\t" + Sudoku9[9..] + "\n");
        yield return S("semicolon-csv", "0 cells", "source;question;answer;rating\n;" + Sudoku9 + ";" + Sudoku9Solution + ";1\n");
        yield return HugeLine("sudoku", "huge-line", "longer than", Sudoku9, p => SudokuImport.Read(p));
        // CSV
        yield return S("csv-header-only", "no puzzles after the header", H);
        yield return S("csv-header-blank-lines", "no puzzles after the header", H + "\n  \n\n");
        yield return S("csv-missing-answer-column", "missing column 'answer'", "source,question,rating\nx," + Sudoku9 + ",1\n");
        yield return S("csv-missing-rating-column", "missing column 'rating'", "source,question,answer\nx," + Sudoku9 + "," + Sudoku9Solution + "\n");
        yield return S("csv-extra-field", "expected 4 fields, found 5", H + SudokuCsvRow() + ",extra\n");
        yield return S("csv-missing-field", "expected 4 fields, found 3", H + "x," + Sudoku9 + "," + Sudoku9Solution + "\n");
        yield return S("csv-rating-word", "rating 'abc'", H + SudokuCsvRow(rating: "abc") + "\n");
        yield return S("csv-rating-negative", "not a non-negative integer", H + SudokuCsvRow(rating: "-1") + "\n");
        yield return S("csv-rating-fraction", "rating '1.5'", H + SudokuCsvRow(rating: "1.5") + "\n");
        yield return S("csv-rating-overflow", "rating '99999999999'", H + SudokuCsvRow(rating: "99999999999") + "\n");
        yield return S("csv-question-80", "80 cells", H + SudokuCsvRow(question: Sudoku9[..80]) + "\n");
        yield return S("csv-answer-short", "answer has 80 cells", H + SudokuCsvRow(answer: Sudoku9Solution[..80]) + "\n");
        yield return S("csv-answer-invalid", "not a valid 9x9 solution", H + SudokuCsvRow(answer: With(Sudoku9Solution, 0, '9')) + "\n");
        yield return S("csv-answer-blank", "not a valid 9x9 solution", H + SudokuCsvRow(answer: With(Sudoku9Solution, 5, '.')) + "\n");
        yield return S("csv-answer-contradicts", "contradicts a clue", H + SudokuCsvRow(question: With(Sudoku9, 2, '1')) + "\n");
        yield return S("csv-question-letter", "'x' is not a blank", H + SudokuCsvRow(question: With(Sudoku9, 3, 'x')) + "\n");
        yield return S("csv-duplicate-givens", "appears twice in row 1", H + SudokuCsvRow(question: With(Sudoku9, 2, '5')) + "\n");
        yield return S("csv-quoted", "83 cells", H + "x,\"" + Sudoku9 + "\"," + Sudoku9Solution + ",1\n");
        yield return S("csv-crlf-bad-rating", "line 3", Crlf(H + SudokuCsvRow() + "\n" + SudokuCsvRow(rating: "?") + "\n"));
        yield return B("csv-bom-bad-row", "line 2", Bom(H + SudokuCsvRow(answer: "1") + "\n"));
        yield return S("csv-mixed-sizes", "one size", H + SudokuCsvRow() + "\nx,1..4..2..3..4..1,1234341221434321,0\n");
        yield return HugeLine("sudoku", "csv-huge-line", "longer than", H + "x,", p => SudokuImport.Read(p));
        yield return S("csv-not-found", "file not found", "") with { Build = dir => () => SudokuImport.Read(Path.Combine(dir, "missing.csv")) };
    }

    public static IEnumerable<CorpusCase> Maze()
    {
        CorpusCase M(string name, string expected, string content) => File("maze", name, expected, "mazes.csv", Utf8(content), p => MazeCsv.Read(p));
        CorpusCase Row(string name, string expected, string question, string answer) => M(name, expected, MazeCsvHeader + "\n" + MazeCsvRow(question, answer) + "\n");
        const string H = MazeCsvHeader + "\n";
        string q = MazeQuestion, a = MazeAnswer;
        yield return M("empty", "empty file", "");
        yield return M("whitespace-header", "empty file", "   \n");
        yield return M("header-only", "no mazes after the header", H);
        yield return M("header-blank-lines", "no mazes after the header", H + "\n\n");
        yield return M("header-without-question", "header must name the columns question and answer", "source,puzzle,answer,rating\n" + MazeCsvRow() + "\n");
        yield return M("tab-separated", "header must name the columns", "source\tquestion\tanswer\trating\nx\t" + q + "\t" + a + "\t1\n");
        yield return Row("ragged", "question has 24 characters, answer 25", q[..24], a);
        yield return Row("not-square", "not a square grid", q[..24], a[..24]);
        yield return Row("one-cell", "not a square grid", "S", "S");
        yield return Row("empty-maze", "not a square grid", "", "");
        yield return M("sizes-differ", "earlier rows are 5x5", H + MazeCsvRow() + "\n" + MazeCsvRow("S  G", "S  G") + "\n");
        yield return Row("two-starts", "found 2 S, 1 G", With(q, 3, 'S'), With(a, 3, 'S'));
        yield return Row("two-goals", "found 1 S, 2 G", With(q, 17, 'G'), With(With(a, 17, 'G'), 18, 'o').Replace("Goo#", "GGo#"));
        yield return Row("no-start", "found 0 S", With(q, 6, ' '), With(a, 6, ' '));
        yield return Row("no-goal", "found 1 S, 0 G", With(q, 16, ' '), With(a, 16, ' '));
        yield return Row("no-path", "cannot be reached", With(q, 13, '#'), With(q, 13, '#'));
        yield return Row("unknown-char-question", "character 'x' at position 7", With(q, 7, 'x'), a);
        yield return Row("unknown-char-answer", "answer: character '*'", q, With(a, 7, '*'));
        yield return Row("lowercase-s", "character 's'", q.Replace('S', 's'), a.Replace('S', 's'));
        yield return Row("digit-in-maze", "character '1'", With(q, 0, '1'), a);
        yield return Row("path-through-wall", "label marks cell 11", q, With(a, 11, 'o'));
        yield return Row("label-changes-wall", "label differs from the input", q, With(a, 0, ' '));
        yield return Row("label-no-path", "marked path has 1 moves", q, q);
        yield return Row("label-moves-start", "label differs from the input at cell 6", q, With(a, 6, ' '));
        yield return Row("input-has-path-mark", "input has a path mark 'o'", With(q, 7, 'o'), a);
        yield return M("extra-column", "expected 4 columns, found 5", H + MazeCsvRow() + ",extra\n");
        yield return M("missing-column", "expected 4 columns, found 3", H + "x," + q + "," + a + "\n");
        yield return M("unterminated-quote", "unterminated quoted field", H + "x,\"" + q + "," + a + ",6\n");
        yield return File("maze", "bom-two-starts", "found 2 S", "mazes.csv", Bom(H + MazeCsvRow(With(q, 3, 'S'), With(a, 3, 'S')) + "\n"), p => MazeCsv.Read(p));
        yield return M("crlf-ragged", ":3: question has", Crlf(H + MazeCsvRow() + "\n" + MazeCsvRow(q[..24], a) + "\n"));
        yield return File("maze", "binary", "header must name the columns", "mazes.csv", Enumerable.Range(0, 300).Select(i => (byte)(i * 7 + 1)).ToArray(), p => MazeCsv.Read(p));
        yield return HugeLine("maze", "huge-line", "longer than", H + "x,", p => MazeCsv.Read(p));
        yield return M("not-found", "file not found", "") with { Build = dir => () => MazeCsv.Read(Path.Combine(dir, "missing.csv")) };
    }

    public static IEnumerable<CorpusCase> Arc()
    {
        CorpusCase J(string name, string expected, string json) => File("arc", name, expected, "task.json", Utf8(json), p => ArcReader.Read(p));
        string Pair(string input, string output) => $$"""{"input": {{input}}, "output": {{output}}}""";
        string Task(string train, string test = """[{"input": [[5]], "output": [[6]]}]""") => $$"""{"train": {{train}}, "test": {{test}}}""";
        string Grid(string grid) => Task("[" + Pair(grid, "[[1]]") + "]");
        string Rows(int h, int w) => "[" + string.Join(", ", Enumerable.Repeat("[" + string.Join(", ", Enumerable.Repeat("1", w)) + "]", h)) + "]";
        yield return J("empty", "empty file", "");
        yield return J("whitespace", "empty file", " \n\t ");
        yield return J("not-json", "invalid JSON", "hello");
        yield return J("truncated", "invalid JSON", ArcTaskJson[..40]);
        yield return J("trailing-comma", "invalid JSON", """{"train": [], "test": [],}""");
        yield return J("comment", "invalid JSON", "// task\n" + ArcTaskJson);
        yield return J("nan", "invalid JSON", Grid("[[NaN]]"));
        yield return J("root-array", "expected an object with \"train\" and \"test\"", "[]");
        yield return J("root-number", "expected an object", "42");
        yield return J("missing-train", "missing \"train\" list", """{"test": [{"input": [[5]], "output": [[6]]}]}""");
        yield return J("train-object", "missing \"train\" list", Task("{}"));
        yield return J("missing-test", "missing \"test\" list", """{"train": [{"input": [[5]], "output": [[6]]}]}""");
        yield return J("empty-train", "no \"train\" pairs", Task("[]"));
        yield return J("empty-test", "no \"test\" pairs", Task("[" + Pair("[[1]]", "[[2]]") + "]", "[]"));
        yield return J("pair-not-object", "missing \"input\"", Task("[[1, 2]]"));
        yield return J("pair-missing-output", "missing \"output\"", Task("""[{"input": [[1]]}]"""));
        yield return J("grid-string", "expected a non-empty list of rows", Grid("\"12\""));
        yield return J("grid-empty", "expected a non-empty list of rows", Grid("[]"));
        yield return J("grid-null", "expected a non-empty list of rows", Grid("null"));
        yield return J("row-number", "row 1 is not a non-empty list", Grid("[[1, 2], 3]"));
        yield return J("row-empty", "row 0 is not a non-empty list", Grid("[[]]"));
        yield return J("ragged", "ragged grid: row 1 has 1 cells, row 0 has 2", Grid("[[1, 2], [3]]"));
        yield return J("ragged-longer", "row 2 has 3 cells", Grid("[[1, 2], [3, 4], [5, 6, 7]]"));
        yield return J("31-rows", "31 rows, more than 30", Grid(Rows(31, 2)));
        yield return J("31-columns", "31 columns, more than 30", Grid(Rows(2, 31)));
        yield return J("1000-rows", "1000 rows", Grid(Rows(1000, 1)));
        yield return J("colour-10", "= 10 is not a colour 0..9", Grid("[[1, 10]]"));
        yield return J("colour-negative", "= -1 is not a colour", Grid("[[-1]]"));
        yield return J("colour-fraction", "= 1.5 is not a colour", Grid("[[1.5]]"));
        yield return J("colour-string", "= \"3\" is not a colour", Grid("[[\"3\"]]"));
        yield return J("colour-null", "= null is not a colour", Grid("[[null]]"));
        yield return J("colour-bool", "= true is not a colour", Grid("[[true]]"));
        yield return J("colour-huge", "is not a colour", Grid("[[1e400]]"));
        yield return J("grid-3d", "is not a colour", Grid("[[[1]]]"));
        yield return J("output-bad", "train pair 0 output", Task("[" + Pair("[[1]]", "[[12]]") + "]"));
        yield return J("test-output-bad", "test pair 0 output", Task("[" + Pair("[[1]]", "[[2]]") + "]", "[" + Pair("[[1]]", "[1]") + "]"));
        yield return J("deep-nesting", "invalid JSON", new string('[', 100_000) + new string(']', 100_000));
        yield return J("deep-object", "invalid JSON", string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000));
        yield return J("duplicate-key", "duplicate", """{"train": [], "train": [{"input": [[1]], "output": [[2]]}], "test": [{"input": [[5]], "output": [[6]]}]}""");
        yield return File("arc", "bom-ragged", "ragged grid", "task.json", Bom(Grid("[[1, 2], [3]]")), p => ArcReader.Read(p));
        yield return File("arc", "invalid-utf8", "invalid JSON", "task.json", [.. Utf8("{\"train\": \""), 0xFF, 0xFE, .. Utf8("\"}")], p => ArcReader.Read(p));
        // Kaggle combined files and folders
        yield return new("arc", "kaggle-no-solutions", "solutions file", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "x_challenges.json"), "{\"t1\": " + ArcTaskJson + "}");
            return () => ArcReader.Read(Path.Combine(dir, "x_challenges.json"));
        });
        yield return new("arc", "kaggle-missing-task", "no solutions for this task", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "x_challenges.json"), "{\"t1\": " + ArcTaskJson + "}");
            System.IO.File.WriteAllText(Path.Combine(dir, "x_solutions.json"), "{\"t2\": [[[1]]]}");
            return () => ArcReader.Read(Path.Combine(dir, "x_challenges.json"));
        });
        yield return new("arc", "kaggle-count-mismatch", "expected 1 test outputs", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "x_challenges.json"), "{\"t1\": " + ArcTaskJson + "}");
            System.IO.File.WriteAllText(Path.Combine(dir, "x_solutions.json"), "{\"t1\": [[[1]], [[2]]]}");
            return () => ArcReader.Read(Path.Combine(dir, "x_challenges.json"));
        });
        yield return new("arc", "kaggle-root-array", "expected an object of task id", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "x_challenges.json"), "[" + ArcTaskJson + "]");
            System.IO.File.WriteAllText(Path.Combine(dir, "x_solutions.json"), "{}");
            return () => ArcReader.Read(Path.Combine(dir, "x_challenges.json"));
        });
        yield return new("arc", "kaggle-solutions-given", "this is a solutions file", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "x_solutions.json"), "{}");
            return () => ArcReader.Read(Path.Combine(dir, "x_solutions.json"));
        });
        yield return new("arc", "folder-without-tasks", "no task .json files", dir =>
        {
            System.IO.File.WriteAllText(Path.Combine(dir, "notes.txt"), "nothing");
            return () => ArcReader.Read(dir);
        });
        yield return new("arc", "not-found", "no such file or folder", dir => () => ArcReader.Read(Path.Combine(dir, "missing.json")));
    }
}
