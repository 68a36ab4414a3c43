using System.Text;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>
/// Property: a valid file of each kind with random bytes changed or cut off never makes its reader throw anything but
/// a one-line HrmException, and never makes it allocate more than a bound set by the file's size. Seeds are fixed,
/// so a failure names a mutation that can be replayed.
/// </summary>
public sealed class FuzzTests
{
    public const int MutationsPerKind = 400;

    static readonly string[] KindNames =
        ["npy", "safetensors", "pt", "dataset-json", "arc-json", "sudoku-csv", "sudoku-lines", "maze-csv", "train-config-json", "model-config-json"];

    public static TheoryData<string> Kinds() => new(KindNames);

    sealed record Subject(byte[] Valid, string File, Action<string> Read);

    static Subject Make(string kind, string dir)
    {
        static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
        static void Dispose(Dictionary<string, TorchSharp.torch.Tensor> d) { foreach (var t in d.Values) t.Dispose(); }
        switch (kind)
        {
            case "npy":
            {
                var data = TinyDataset(Path.Combine(dir, "data"));
                var file = Path.Combine("data", "train", PuzzleDatasetDirectory.ArrayFile("all", "inputs"));
                return new(File.ReadAllBytes(Path.Combine(dir, file)), file, _ => PuzzleDatasetDirectory.ReadSet(data, "train", "all"));
            }
            case "dataset-json":
            {
                var data = TinyDataset(Path.Combine(dir, "data"));
                var file = Path.Combine("data", "train", "dataset.json");
                return new(File.ReadAllBytes(Path.Combine(dir, file)), file, _ => PuzzleDatasetDirectory.ReadMetadata(data, "train"));
            }
            case "safetensors":
            {
                var (entries, bytes) = TorchFiles.TinySafetensors();
                return new(SafetensorsBytes(TorchFiles.StHeader(entries), bytes), "model.safetensors", p => Dispose(StateDictIO.Load(p)));
            }
            case "pt": return new(TorchFiles.Pt(TorchFiles.TinyPtTensors()), "model.pt", p => Dispose(StateDictIO.Load(p)));
            case "arc-json":
                return new(Utf8("{\"train\": [{\"input\": [[1, 2, 3], [4, 5, 6]], \"output\": [[6, 5, 4], [3, 2, 1]]}, {\"input\": [[0]], \"output\": [[9]]}], " +
                    "\"test\": [{\"input\": [[7, 7], [8, 8]], \"output\": [[8, 8], [7, 7]]}]}"), "task.json", p => ArcReader.Read(p));
            case "sudoku-csv":
                return new(Utf8(SudokuCsvHeader + "\n" + SudokuCsvRow() + "\n" + SudokuCsvRow(rating: "12") + "\n"), "puzzles.csv", p => SudokuImport.Read(p));
            case "sudoku-lines":
                return new(Utf8("# 4x4\n.3..4..1..2..4..\n\n.3..4..1..2..4..\n"), "puzzles.txt", p => SudokuImport.Read(p));
            case "maze-csv": return new(Utf8(MazeCsvText + MazeCsvRow() + "\n"), "mazes.csv", p => MazeCsv.Read(p));
            case "train-config-json": return new(Utf8(TinyTrainConfigJson), "train.json", p => TrainConfig.Load(p));
            case "model-config-json": return new(Utf8(ConfigJson.ToJson(TinyModel)), "config.json", p => ConfigJson.Load(p));
            default: throw new ArgumentException(kind);
        }
    }

    /// <summary>One random corruption: a few bytes changed, the file cut short, or 8 bytes (a length field?) overwritten.</summary>
    static byte[] Mutate(byte[] valid, Random rng, out string how)
    {
        var b = (byte[])valid.Clone();
        switch (rng.Next(4))
        {
            case 0:
            {
                int n = 1 + rng.Next(4);
                var at = new List<int>();
                for (int i = 0; i < n; i++) { int p = rng.Next(b.Length); b[p] = (byte)rng.Next(256); at.Add(p); }
                how = $"bytes at {string.Join(", ", at)} changed";
                return b;
            }
            case 1:
            {
                int len = rng.Next(b.Length);
                how = $"cut to {len} bytes";
                return b[..len];
            }
            case 2:
            {
                // Headers live at the start: flips there reach lengths, magic and dtype fields more often.
                int p = rng.Next(Math.Min(b.Length, 128));
                b[p] ^= (byte)(1 << rng.Next(8));
                how = $"bit flipped at {p}";
                return b;
            }
            default:
            {
                int p = rng.Next(Math.Max(1, b.Length - 8));
                var fill = rng.Next(3) switch { 0 => (byte)0xFF, 1 => (byte)0x7F, _ => (byte)rng.Next(256) };
                for (int i = p; i < Math.Min(b.Length, p + 8); i++) b[i] = fill;
                how = $"8 bytes at {p} set to 0x{fill:x2}";
                return b;
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Changed_or_cut_files_fail_with_one_line_and_bounded_memory(string kind)
    {
        using var dir = new TempDirectory();
        var s = Make(kind, dir.Path);
        var path = Path.Combine(dir.Path, s.File);
        File.WriteAllBytes(path, s.Valid);
        s.Read(path);   // the unchanged file is valid
        var rng = new Random(Array.IndexOf(KindNames, kind) + 1515);
        long limit = 32L * 1024 * 1024 + 64L * s.Valid.Length;
        int rejected = 0;
        for (int i = 0; i < MutationsPerKind; i++)
        {
            var bytes = Mutate(s.Valid, rng, out var how);
            File.WriteAllBytes(path, bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { s.Read(path); }
            catch (HrmException e)
            {
                rejected++;
                Assert.False(e.Message.TrimEnd().Contains('\n'), $"{kind} mutation {i} ({how}): message has several lines: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{kind} mutation {i} ({how}): {e.GetType().Name} instead of HrmException: {e.Message}\n{e.StackTrace}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= limit, $"{kind} mutation {i} ({how}): allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file");
        }
        Assert.True(rejected > 0, $"{kind}: none of {MutationsPerKind} corruptions was noticed");
    }
}
