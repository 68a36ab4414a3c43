using Hrm.Data;
using Hrm.Tests.Cli;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>Bad command lines for the real CLI, run in-process: each must end with one "error:" line and a non-zero exit.</summary>
public static class CliCorpus
{
    /// <summary>A tiny checkpoint and a dataset it fits, built once per test run (no training needed to load them).</summary>
    sealed class Fixture
    {
        public string Root { get; } = Path.Combine(Path.GetTempPath(), "hrm-cli-corpus-" + Guid.NewGuid().ToString("N")[..10]);
        public string Checkpoint => Path.Combine(Root, "ckpt");
        public string Data => Path.Combine(Root, "data");

        public Fixture()
        {
            TinyCheckpoint(Checkpoint);
            TinyDataset(Data);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(Root, true); } catch (IOException) { } };
        }

        /// <summary>A copy of the dataset with one train and one test array changed.</summary>
        public string BrokenData(string dir, string array, Func<int[], int[]> change)
        {
            var copy = Path.Combine(dir, "data");
            foreach (var f in Directory.EnumerateFiles(Data, "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(copy, Path.GetRelativePath(Data, f));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(f, target);
            }
            foreach (var split in PuzzleDatasetDirectory.Splits)
            {
                var path = Path.Combine(copy, split, PuzzleDatasetDirectory.ArrayFile("all", array));
                var a = Npy.Read(path);
                Npy.WriteInt32(path, change(a.ToInt32()), a.Shape);
            }
            return copy;
        }
    }

    static readonly Lazy<Fixture> fixture = new(() => new Fixture());

    static CorpusCase C(string name, string expected, Func<Fixture, string, string[]> args) => new("cli", name, expected, dir =>
    {
        var f = fixture.Value;
        var a = args(f, dir);
        return () => CliHarness.Fails(expected, a);
    }) { AssertsItself = true, MaxAllocatedBytes = 512L << 20 };

    static CorpusCase Eval(string name, string expected, params string[] extra) =>
        C(name, expected, (f, _) => ["eval", "--checkpoint", f.Checkpoint, "--data", f.Data, "--threads", "1", .. extra]);

    static int[] Set(int[] a, int index, int value) { var b = (int[])a.Clone(); b[index] = value; return b; }

    public static IEnumerable<CorpusCase> Cases()
    {
        yield return Eval("eval-batch-zero", "--batch must be >= 1", "--batch", "0");
        yield return Eval("eval-batch-negative", "--batch must be >= 1", "--batch", "-5");
        yield return Eval("eval-batch-word", "see hrm eval --help", "--batch", "abc");
        yield return Eval("eval-max-examples-zero", "--max-examples must be >= 1", "--max-examples", "0");
        yield return Eval("eval-batch-overflow", "see hrm eval --help", "--batch", "99999999999");
        yield return Eval("eval-device-unknown", "device 'tpu'", "--device", "tpu");
        yield return Eval("eval-device-cuda-letter", "device 'cuda:x'", "--device", "cuda:x");
        yield return Eval("eval-device-empty", "--device", "--device=");
        yield return Eval("eval-threads-negative", "'--threads'", "--threads", "-1");
        yield return Eval("eval-unknown-option", "see hrm eval --help", "--frobnicate");
        yield return Eval("eval-halt-rule-unknown", "sometimes", "--halt-rule", "sometimes");
        yield return Eval("eval-halt-threshold-above-one", "threshold", "--halt-rule", "confident", "--halt-threshold", "2");
        yield return Eval("eval-early-exit-and-stable", "cannot go with", "--early-exit", "--halt-rule", "stable");
        yield return C("eval-missing-data", "'--data' is required", (f, _) => ["eval", "--checkpoint", f.Checkpoint]);
        yield return C("eval-no-options", "see hrm eval --help", (_, _) => ["eval"]);
        yield return C("unknown-command", "see hrm --help", (_, _) => ["frobnicate"]);
        yield return C("data-sudoku-size-word", "see hrm data sudoku --help", (_, d) => ["data", "sudoku", "--size", "big", "--out", Path.Combine(d, "x")]);
        yield return C("data-sudoku-size-5", "unsupported Sudoku size 5", (_, d) => ["data", "sudoku", "--size", "5", "--train", "2", "--test", "2", "--out", Path.Combine(d, "x")]);
        yield return C("data-check-missing", "no such directory", (_, d) => ["data", "check", Path.Combine(d, "missing")]);
        yield return C("eval-empty-checkpoint-folder", "no checkpoint found", (f, d) => ["eval", "--checkpoint", d, "--data", f.Data]);
        yield return C("eval-tokens-out-of-vocab", "outside 0..5", (f, d) => ["eval", "--checkpoint", f.Checkpoint, "--data", f.BrokenData(d, "inputs", a => Set(a, 5, 11)), "--threads", "1"]);
        yield return C("eval-labels-out-of-vocab", "outside 0..5", (f, d) => ["eval", "--checkpoint", f.Checkpoint, "--data", f.BrokenData(d, "labels", a => Set(a, 5, 9)), "--threads", "1"]);
        yield return C("eval-identifier-out-of-range", "identifier 4 outside 0..0", (f, d) => ["eval", "--checkpoint", f.Checkpoint, "--data", f.BrokenData(d, "puzzle_identifiers", a => Set(a, 0, 4)), "--threads", "1"]);
        yield return C("solve-short-puzzle", "4 cells", (f, _) => ["solve", "--checkpoint", f.Checkpoint, "1..4", "--threads", "1"]);
        yield return C("solve-duplicate-given", "appears twice", (f, _) => ["solve", "--checkpoint", f.Checkpoint, "11.4..2..3..4..1", "--threads", "1"]);
        yield return C("solve-pt-with-code", "'os.system' is not allowed", (f, d) =>
        {
            File.WriteAllBytes(Path.Combine(d, "model.pt"), TorchFiles.PtZip(new PickleBuilder().Proto().Global("os", "system").Unicode("true").Op(0x85).Reduce().Stop().ToArray(), []));
            WriteTinyConfig(d);
            return ["solve", "--checkpoint", Path.Combine(d, "model.pt"), "1..4..2..3..4..1", "--threads", "1"];
        });
        yield return C("train-beta1", "beta1 must be in [0, 1)", (f, d) => ["train", "--preset", "tiny-test", "--set", "beta1=1.5", "--data", f.Data, "--out", Path.Combine(d, "run")]);
        yield return C("train-loss-name", "loss.name must be", (f, d) => ["train", "--preset", "tiny-test", "--set", "arch.loss.name=x", "--data", f.Data, "--out", Path.Combine(d, "run")]);
        yield return C("train-unknown-preset", "unknown preset 'nope'", (f, d) => ["train", "--preset", "nope", "--data", f.Data, "--out", Path.Combine(d, "run")]);
        yield return C("train-tokens-out-of-vocab", "outside 0..5", (f, d) => ["train", "--preset", "tiny-test", "--data", f.BrokenData(d, "inputs", a => Set(a, 3, 200)), "--out", Path.Combine(d, "run")]);
        yield return C("train-device-unknown", "device must be cpu or cuda", (f, d) => ["train", "--preset", "tiny-test", "--set", "device=tpu", "--data", f.Data, "--out", Path.Combine(d, "run")]);
    }
}
