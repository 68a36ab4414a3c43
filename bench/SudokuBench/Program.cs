// Sudoku solver and generator throughput. Run from the repository root:
//   dotnet run -c Release --project bench/SudokuBench [-- --seconds 3]
// Writes bench/sudoku-solver.md (date, machine, figures).
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Hrm.Tasks.Sudoku;

double seconds = args.Length == 2 && args[0] == "--seconds" ? double.Parse(args[1]) : 3;
var shape = SudokuShape.Size9;
var report = new StringBuilder();
void Line(string s = "") { Console.WriteLine(s); report.AppendLine(s); }

// Famous hard puzzles (hand-typed); each is kept only if our solver and the baseline agree it is unique.
var famous = new (string Name, string Cells)[]
{
    ("Inkala 2012", "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4.."),
    ("AI Escargot", "1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3.."),
    ("Easter Monster", "1.......2.9.4...5...6...7...5.9.3.......7.......85..4.7.....6...3...9.8...2.....1"),
};
var solver = new SudokuSolver(shape);
var baseline = new BacktrackingSolver(shape);

var clock = Stopwatch.StartNew();
var generated = SudokuGenerator.Generate(shape, 300, new SudokuGeneratorOptions(SudokuDifficulty.Extreme, MinRating: 20), seed: 2025);
double extremeSeconds = clock.Elapsed.TotalSeconds;
var hard = new List<(string Name, int[] Cells)>();
foreach (var (name, cells) in famous)
{
    var grid = shape.Parse(cells);
    if (solver.Solve(grid).IsUnique && baseline.Solve(grid).Solutions == 1) hard.Add((name, grid));
    else Console.Error.WriteLine($"skipping {name}: not unique as typed");
}
hard.AddRange(generated.Select((p, i) => ($"generated #{i}", p.Cells)));
var ratings = hard.Select(h => solver.Solve(h.Cells).Guesses).ToArray();

Line("# Sudoku solver and generator benchmark");
Line();
Line($"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Line($"- machine: {CpuName()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Line($"- command: `dotnet run -c Release --project bench/SudokuBench` (each solver figure: one thread, {seconds:F0} s of repeated passes)");
Line();
Line($"Hard set: {hard.Count} 9x9 puzzles with a unique solution, every one rated >= 20 guesses by our solver " +
     $"(ratings {ratings.Min()}..{ratings.Max()}, mean {ratings.Average():F1}): {string.Join(", ", famous.Select(f => f.Name))} " +
     $"({string.Join(", ", hard.Take(famous.Length).Select((h, i) => $"{ratings[i]}"))} guesses) and {generated.Count} generated with " +
     $"`--difficulty extreme` (seed 2025; found in {extremeSeconds:F1} s on all cores).");
Line();
Line("| solver | task | puzzles/s (1 core) | mean µs/puzzle |");
Line("|---|---|---:|---:|");
Measure("propagation + DFS (SudokuSolver)", "first solution", g => solver.Solve(g, limit: 1));
Measure("propagation + DFS (SudokuSolver)", "count to 2 (uniqueness, rating)", g => solver.Solve(g, limit: 2));
Measure("plain backtracking (BacktrackingSolver)", "first solution", g => baseline.Solve(g, limit: 1));
Measure("plain backtracking (BacktrackingSolver)", "count to 2 (uniqueness)", g => baseline.Solve(g, limit: 2));
Line();

Line("| generation (9x9, unique, minimal) | threads | puzzles | seconds | puzzles/s |");
Line("|---|---:|---:|---:|---:|");
foreach (int threads in new[] { 1, Environment.ProcessorCount }.Distinct())
{
    clock.Restart();
    var puzzles = SudokuGenerator.Generate(shape, 1000, new SudokuGeneratorOptions(SudokuDifficulty.Hard), seed: 1, threads: threads);
    double t = clock.Elapsed.TotalSeconds;
    Line($"| needs guessing (`--difficulty hard`) | {threads} | {puzzles.Count} | {t:F1} | {puzzles.Count / t:F0} |");
}
var path = Path.Combine("bench", "sudoku-solver.md");
if (Directory.Exists("bench")) File.WriteAllText(path, report.ToString());
Console.Error.WriteLine(Directory.Exists("bench") ? $"wrote {path}" : "run from the repository root to write bench/sudoku-solver.md");

void Measure(string name, string task, Action<int[]> solve)
{
    foreach (var h in hard) solve(h.Cells); // warm-up (JIT)
    long solved = 0;
    var sw = Stopwatch.StartNew();
    do
    {
        foreach (var h in hard) solve(h.Cells);
        solved += hard.Count;
    } while (sw.Elapsed.TotalSeconds < seconds);
    double rate = solved / sw.Elapsed.TotalSeconds;
    Line($"| {name} | {task} | {rate:N0} | {1e6 / rate:F1} |");
}

static string CpuName() =>
    File.Exists("/proc/cpuinfo") && File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name")) is string l
        ? l[(l.IndexOf(':') + 1)..].Trim() : RuntimeInformation.ProcessArchitecture.ToString();
