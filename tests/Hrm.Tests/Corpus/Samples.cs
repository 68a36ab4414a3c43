using System.Text;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Model;
using Hrm.Tasks.Sudoku;
using Hrm.Training;

namespace Hrm.Tests.Corpus;

/// <summary>Small valid inputs of every kind, which the corpus and the fuzz tests break in their own ways.</summary>
public static class Samples
{
    // A classic 9x9 puzzle with a unique solution.
    public const string Sudoku9 = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79";
    public const string Sudoku9Solution = "534678912672195348198342567859761423426853791713924856961537284287419635345286179";
    public const string SudokuCsvHeader = "source,question,answer,rating";
    public static string SudokuCsvRow(string question = Sudoku9, string answer = Sudoku9Solution, string rating = "3", string source = "corpus") =>
        $"{source},{question},{answer},{rating}";
    public static string SudokuCsvText => SudokuCsvHeader + "\n" + SudokuCsvRow() + "\n";

    // 5x5 maze: S at (1,1), G at (3,1), the only path goes round the wall in row 2.
    public const string MazeQuestion = "#####" + "#S  #" + "### #" + "#G  #" + "#####";
    public const string MazeAnswer = "#####" + "#Soo#" + "###o#" + "#Goo#" + "#####";
    public const string MazeCsvHeader = "source,question,answer,rating";
    public static string MazeCsvRow(string question = MazeQuestion, string answer = MazeAnswer) => $"corpus,{question},{answer},6";
    public static string MazeCsvText => MazeCsvHeader + "\n" + MazeCsvRow() + "\n";

    public const string ArcTaskJson = """{"train": [{"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]}], "test": [{"input": [[5]], "output": [[6]]}]}""";

    /// <summary>The smallest model worth loading: 4x4 Sudoku vocabulary, one layer per level.</summary>
    public static HrmConfig TinyModel { get; } = (HrmConfig)new HrmConfig
    {
        BatchSize = 4, SeqLen = 16, PuzzleEmbNdim = 0, NumPuzzleIdentifiers = 1, VocabSize = 6,
        HCycles = 1, LCycles = 1, HLayers = 1, LLayers = 1, HiddenSize = 16, Expansion = 2, NumHeads = 2,
        PosEncodings = "learned", HaltMaxSteps = 2, ForwardDtype = "float32",
    }.Validate();

    /// <summary>The tiny model's state dict under reference names, as CPU float32 tensors (seeded).</summary>
    public static Dictionary<string, TorchSharp.torch.Tensor> TinyStateDict()
    {
        using var model = new ActModel(TinyModel, new TorchSharp.torch.Generator(7));
        return ReferenceNames.Export(model).ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
    }

    /// <summary>Writes config.json for the tiny model into <paramref name="dir"/>.</summary>
    public static void WriteTinyConfig(string dir) => ConfigJson.Save(new CheckpointFolder(dir).ConfigPath, TinyModel);

    /// <summary>A checkpoint folder (model.safetensors + config.json) of the tiny model.</summary>
    public static string TinyCheckpoint(string dir)
    {
        Directory.CreateDirectory(dir);
        StateDictIO.Save(new CheckpointFolder(dir).ModelPath, TinyStateDict());
        WriteTinyConfig(dir);
        return dir;
    }

    /// <summary>A 4x4 Sudoku dataset (8 train, 4 test puzzles, no augmentation) that the tiny model fits.</summary>
    public static string TinyDataset(string dir)
    {
        var shape = SudokuShape.Size4;
        var seen = new HashSet<string>();
        var train = SudokuGenerator.Generate(shape, 8, new SudokuGeneratorOptions(), 1, seen);
        var test = SudokuGenerator.Generate(shape, 4, new SudokuGeneratorOptions(), 2, seen);
        SudokuDataset.Write(dir, shape, train, test, numAug: 0, seed: 1);
        return dir;
    }

    public static string TinyTrainConfigJson => File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "configs", "tiny-test.json"));

    /// <summary>Raw .npy bytes: magic, version, a header of the given text (padded unless <paramref name="pad"/> is false), data.</summary>
    public static byte[] NpyBytes(string header, byte[] data, int major = 1, bool pad = true, int? headerLength = null)
    {
        int prefix = major == 1 ? 10 : 12;
        if (pad)
        {
            int total = prefix + header.Length + 1;
            header += new string(' ', (64 - total % 64) % 64) + "\n";
        }
        var h = Encoding.Latin1.GetBytes(header);
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        int len = headerLength ?? h.Length;
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)len));
        else ms.Write(BitConverter.GetBytes((uint)len));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Int32Bytes(params int[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>Safetensors bytes: an 8-byte little-endian header length, the header text, the data.</summary>
    public static byte[] SafetensorsBytes(string header, byte[] data, ulong? headerLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var ms = new MemoryStream();
        ms.Write(BitConverter.GetBytes(headerLength ?? (ulong)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }
}
