using Hrm.Tests.Viz;
using SkiaSharp;

namespace Hrm.Tests.Cli;

/// <summary>`hrm viz` through the CLI: pages, PNG frames, GIF, the dataset browser and one-line errors.</summary>
public sealed class VizCommandTests
{
    [Fact]
    public void Trace_file_gives_a_self_contained_page_pngs_and_a_gif()
    {
        using var temp = new TempDirectory();
        var page = temp.File("out/trace.html");
        var r = CliHarness.Ok("viz", "--trace", SampleTraces.PathOf("maze7"), "--out", page, "--png", temp.File("png"), "--gif", temp.File("t.gif"));
        Assert.Contains("viz page: ", r.Out);
        Assert.Contains("(6 entries, 2 segments)", r.Out);
        var html = File.ReadAllText(page);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("HrmViz.renderTrace", html);
        // Self-contained: nothing fetched from anywhere.
        Assert.DoesNotContain("src=\"http", html);
        Assert.DoesNotContain("href=\"http", html);
        Assert.DoesNotContain("<link", html);
        Assert.Equal(6, Directory.GetFiles(temp.File("png"), "entry_*.png").Length);
        using var codec = SKCodec.Create(temp.File("t.gif"));
        Assert.Equal(6, codec.FrameCount);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Page_data_cannot_close_its_script_element()
    {
        using var temp = new TempDirectory();
        var t = SampleTraces.Sudoku4 with { Decoding = "</script><script>alert(1)</script>", Problem = "<b>&" };
        var html = Hrm.Viz.TracePage.Render(t);
        Assert.DoesNotContain("<script>alert", html);
        Assert.Equal(3, html.Split("</script>").Length - 1);   // the data block, the library, the start line
    }

    [Fact]
    public void Dataset_browser_is_written_and_reports_its_size()
    {
        using var temp = new TempDirectory();
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "30", "--test", "5", "--num-aug", "2", "--out", temp.File("s4"), "--quiet");
        var r = CliHarness.Ok("viz", "--data", temp.File("s4"), "--out", temp.File("b.html"));
        Assert.Contains("dataset browser: ", r.Out);
        Assert.Contains("HrmViz.renderDataset", File.ReadAllText(temp.File("b.html")));

        // The cell budget: each 4x4 example embeds "4:" + 16 cells twice = 36 cells; 30 groups of 3 puzzles.
        (int Groups, int Depth) Embedded(string maxCells)
        {
            CliHarness.Ok("viz", "--data", temp.File("s4"), "--out", temp.File("c.html"), "--max-cells", maxCells);
            var html = File.ReadAllText(temp.File("c.html"));
            var start = html.IndexOf("id=\"hrm-dataset\">", StringComparison.Ordinal) + "id=\"hrm-dataset\">".Length;
            using var doc = System.Text.Json.JsonDocument.Parse(html[start..html.IndexOf("</script>", start, StringComparison.Ordinal)]);
            var groups = doc.RootElement.GetProperty("splits")[0].GetProperty("groups");
            return (groups.GetArrayLength(), groups.EnumerateArray().Max(g => g.GetProperty("puzzles").GetArrayLength()));
        }
        Assert.Equal((30, 3), Embedded("100000"));
        Assert.Equal((30, 2), Embedded(((30 * 2 + 1) * 36).ToString()));
        Assert.Equal((13, 1), Embedded("500"));
    }

    [Fact]
    public void Bad_input_is_one_clear_line()
    {
        using var temp = new TempDirectory();
        CliHarness.Fails("trace file not found", "viz", "--trace", temp.File("missing.json"), "--out", temp.File("a.html"));
        CliHarness.Fails("not a trace JSON", "viz", "--trace", temp.File("bad.json", "{\"puzzle\": 3"), "--out", temp.File("a.html"));
        CliHarness.Fails("give a trace to draw", "viz", "--out", temp.File("a.html"));
        CliHarness.Fails("dataset directory not found", "viz", "--data", temp.File("nope"), "--out", temp.File("a.html"));
        CliHarness.Fails("not a dataset directory", "viz", "--data", temp.Path, "--out", temp.File("a.html"));
        CliHarness.Fails("do not go with --data", "viz", "--data", temp.Path, "--out", temp.File("a.html"), "--gif", temp.File("a.gif"));
        CliHarness.Fails("--frame-ms", "viz", "--trace", SampleTraces.PathOf("arc-scale"), "--out", temp.File("a.html"), "--frame-ms", "0");
        CliHarness.Fails("is a folder", "viz", "--trace", SampleTraces.PathOf("arc-scale"), "--out", temp.Path);
        Assert.False(File.Exists(temp.File("a.html")));
    }
}
