using System.Diagnostics;
using Hrm.Tasks.Sudoku;
var shape = SudokuShape.Size9;
var s = new SudokuSolver(shape);
foreach (var line in new[]{
 "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79",
 "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4..",
 "1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3..",
 ".......12........3..23..4....1....5...6.....7..8....9..2..5....3....9...4......",
 ".......39.....1..5..3.5.8....8.9...6.7...2..1..4.......9.8..5..2....6..4..7.....",
}) { if (line.Length!=81){Console.WriteLine($"len {line.Length}"); continue;} var r = s.Solve(shape.Parse(line)); Console.WriteLine($"{r.Solutions} {r.Guesses} {(r.Solution is null ? "" : SudokuShape.Format(r.Solution))}"); }
var hist = new SortedDictionary<int,int>();
var sw = Stopwatch.StartNew();
var g = new SudokuGenerator(shape);
var rnd = new Random(1);
int maxr=0;
for (int i=0;i<2000;i++){ var p=g.GenerateOne(rnd); int b = p.Rating==0?0:(int)Math.Log2(p.Rating)+1; hist[b]=hist.GetValueOrDefault(b)+1; maxr=Math.Max(maxr,p.Rating);}
Console.WriteLine($"2000 in {sw.Elapsed.TotalSeconds:F2}s max {maxr}");
foreach (var kv in hist) Console.WriteLine($"bucket {kv.Key}: {kv.Value}");
