using System.Text;
using Hrm.Data;
using Hrm.Interop;
using Hrm.Tasks.Arc;
using Hrm.Tasks.Maze;
using Hrm.Tasks.Sudoku;
using Hrm.Training;
using static Hrm.Tests.Corpus.Samples;

namespace Hrm.Tests.Corpus;

/// <summary>The other side of the corpus: unusual but valid files the strict readers must still accept, exactly.</summary>
public sealed class ValidVariantsTests
{
    [Fact]
    public void Bom_and_crlf_text_files_read_like_plain_ones()
    {
        using var dir = new TempDirectory();
        byte[] Bom(string s) => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(s.Replace("\n", "\r\n"))];
        var csv = dir.File("p.csv");
        File.WriteAllBytes(csv, Bom(SudokuCsvText));
        var p = Assert.Single(SudokuImport.Read(csv));
        Assert.Equal(Sudoku9Solution, SudokuShape.Format(p.Solution));
        var maze = dir.File("m.csv");
        File.WriteAllBytes(maze, Bom(MazeCsvText));
        Assert.Equal(5, Assert.Single(MazeCsv.Read(maze)).Size);
        var arc = dir.File("t.json");
        File.WriteAllBytes(arc, Bom(ArcTaskJson));
        Assert.Equal(new ArcGrid(2, 2, [4, 3, 2, 1]), Assert.Single(ArcReader.Read(arc)).Train[0].Output);
    }

    [Fact]
    public void Fortran_order_and_big_endian_npy_read_in_c_order()
    {
        using var dir = new TempDirectory();
        var f = dir.File("f.npy");
        // Column-major [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
        File.WriteAllBytes(f, NpyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", Int32Bytes(1, 4, 2, 5, 3, 6)));
        Assert.Equal([1, 2, 3, 4, 5, 6], Npy.Read(f).ToInt32());
        var b = dir.File("b.npy");
        File.WriteAllBytes(b, NpyBytes("{\"descr\": \">i2\", \"fortran_order\": False, \"shape\": (2,)}", [0, 7, 1, 0]));
        Assert.Equal([7, 256], Npy.Read(b).ToInt32());
        var s = dir.File("s.npy");
        File.WriteAllBytes(s, NpyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(42L)));
        Assert.Equal([42], Npy.Read(s).ToInt32());
    }

    [Theory]
    [InlineData("model.safetensors")]
    [InlineData("model.pt")]
    public void State_dicts_round_trip_through_save_and_the_strict_readers(string file)
    {
        using var dir = new TempDirectory();
        var path = dir.File(file);
        var original = TinyStateDict();
        StateDictIO.Save(path, original);   // .pt through TorchSharp.PyBridge's pickler (deflated zip entries)
        var loaded = StateDictIO.Load(path);
        Assert.Equal(original.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in original) Assert.True(t.equal(loaded[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Torch_zip_with_views_into_shared_storages_reads_each_view()
    {
        using var dir = new TempDirectory();
        var path = dir.File("views.pt");
        var floats = new float[] { 0, 1, 2, 3, 4, 5 }.SelectMany(BitConverter.GetBytes).ToArray();
        List<PtTensor> ts =
        [
            new("a", "FloatStorage", "0", 6, 0, [2, 3], [3, 1], floats),
            new("b", "FloatStorage", "0", 6, 1, [2], [3], floats),       // column 1: 1, 4
            new("c", "FloatStorage", "0", 6, 0, [3, 2], [1, 3], floats), // the transpose
        ];
        File.WriteAllBytes(path, TorchFiles.Pt(ts));
        var d = StateDictIO.Load(path);
        Assert.Equal([0f, 1, 2, 3, 4, 5], d["a"].data<float>().ToArray());
        Assert.Equal([1f, 4], d["b"].data<float>().ToArray());
        Assert.Equal([0f, 3, 1, 4, 2, 5], d["c"].contiguous().data<float>().ToArray());
    }

    [Fact]
    public void Checkpoint_folder_whose_only_run_is_one_level_down_resolves_to_it()
    {
        using var dir = new TempDirectory();
        var quickstart = Path.Combine(dir.Path, "quickstart");
        Directory.CreateDirectory(Path.Combine(quickstart, "data"));
        var step = TinyCheckpoint(Path.Combine(quickstart, "run", "checkpoints", "step_0000010"));
        Assert.Equal(new CheckpointFolder(step).ModelPath, ModelStore.Resolve(quickstart).Weights);
        using (var model = ModelStore.Load(quickstart)) Assert.Equal(TinyModel.HiddenSize, model.Config.HiddenSize);

        TinyCheckpoint(Path.Combine(quickstart, "other", "checkpoints", "step_0000020"));
        var e = Assert.Throws<HrmException>(() => ModelStore.Resolve(quickstart));
        Assert.Contains("2 runs inside (other, run)", e.Message);
    }

    [Fact]
    public void Help_calls_the_program_hrm()
    {
        var root = Cli.CliHarness.Ok("--help").Out;
        Assert.Contains("hrm [command] [options]", root);
        Assert.DoesNotContain("Hrm.Cli", root);
        Assert.Contains("hrm eval [options]", Cli.CliHarness.Ok("eval", "--help").Out);
    }
}
