using Hrm.Tests.Cli;
using Hrm.Data;
using Hrm.Viz;
using PuppeteerSharp;
using static Hrm.Tests.Viz.Screen;

namespace Hrm.Tests.Viz;

/// <summary>Small Sudoku, maze and ARC datasets, built once through the CLI, for the dataset browser tests.</summary>
public sealed class SmallDatasets : IDisposable
{
    public TempDirectory Temp { get; } = new();
    public string Sudoku => Path.Combine(Temp.Path, "s4");
    public string Maze => Path.Combine(Temp.Path, "m9");
    public string Arc => Path.Combine(Temp.Path, "arc");

    public SmallDatasets()
    {
        CliHarness.Ok("data", "sudoku", "--size", "4", "--train", "60", "--test", "10", "--num-aug", "3", "--out", Sudoku, "--quiet");
        CliHarness.Ok("data", "maze", "--size", "9", "--train", "4", "--test", "2", "--aug", "--out", Maze);
        var tasks = Path.Combine(Temp.Path, "arc-tasks");
        Directory.CreateDirectory(tasks);
        foreach (var f in Directory.GetFiles(TestPaths.Arc("arc-agi-1", "training"), "*.json").Order().Take(3))
            File.Copy(f, Path.Combine(tasks, Path.GetFileName(f)));
        CliHarness.Ok("data", "arc", "--source", tasks, "--num-aug", "2", "--out", Arc);
    }

    public void Dispose() => Temp.Dispose();
}

/// <summary>The dataset browser in headless chromium: paging, groups, augmentations, and grids as the data says.</summary>
public sealed class DatasetPageBrowserTests(Chromium chromium, SmallDatasets data) : IClassFixture<Chromium>, IClassFixture<SmallDatasets>
{
    async Task<IPage> Open(string dir, string name)
    {
        var file = Path.Combine(data.Temp.Path, name + ".html");
        DatasetPage.Write(dir, file);
        return await chromium.Open(file);
    }

    /// <summary>The text of the k-th grid of the shown examples (inputs and labels alternate), read from its cells.</summary>
    static async Task<string> GridText(IPage page, int k) => await page.EvaluateFunctionAsync<string>(
        "k => { const g = document.querySelectorAll('.ds-example .hrm-grid')[k]; const n = +g.dataset.cols; return [...g.querySelectorAll('.cell')].map((c, i) => (i && i % n === 0 ? '\\n' : '') + c.dataset.value).join(''); }",
        k);

    [BrowserFact]
    public async Task Sudoku_groups_page_and_show_each_augmentation_input_beside_its_label()
    {
        await using var page = await Open(data.Sudoku, "s4");
        Assert.Equal(25, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#ds-groups li').length"));
        Assert.Equal("page 1 / 3", await Text(page, "#ds-page"));
        await page.ClickAsync("#ds-next");
        await page.ClickAsync("#ds-next");
        Assert.Equal("page 3 / 3", await Text(page, "#ds-page"));
        Assert.Equal(10, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#ds-groups li').length"));
        await page.ClickAsync("#ds-groups li[data-group=\"52\"]");
        Assert.Equal(5, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#ds-puzzles button').length"));   // all, original, aug 1..3
        await page.ClickAsync("#ds-puzzles button[data-puzzle=\"all\"]");
        Assert.Equal(4, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.ds-example').length"));
        await page.ClickAsync("#ds-puzzles button[data-puzzle=\"2\"]");

        var split = PuzzleDatasetDirectory.ReadSet(data.Sudoku, "train", "all");
        int example = split.PuzzleIndices[split.GroupIndices[52] + 2];
        Assert.Equal(Hrm.Viz.GridText.Of(Sudoku4, split.Input(example)).Text, await GridText(page, 0));
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.ds-example .hrm-grid').length"));
        Assert.Equal(Hrm.Viz.GridText.Of(Sudoku4, split.Label(example)).Text, await GridText(page, 1));

        var given = await page.EvaluateExpressionAsync<int[]>("(() => { const c = document.querySelector('.ds-example .hrm-grid .cell.given'); return [+c.dataset.row, +c.dataset.col]; })()");
        var shot = await Shot(page);
        AssertColour(shot, (await BoxOf(page, $".ds-example .hrm-grid .cell[data-row=\"{given[0]}\"][data-col=\"{given[1]}\"]")).At(0.15, 0.15), "#dcdcdc", what: "given cell");
    }

    [BrowserFact]
    public async Task Maze_labels_draw_the_path_over_the_maze()
    {
        await using var page = await Open(data.Maze, "m9");
        var path = await page.EvaluateExpressionAsync<int[]>("(() => { const c = document.querySelectorAll('.ds-example .hrm-grid')[1].querySelector('.cell.path'); return [+c.dataset.row, +c.dataset.col]; })()");
        var shot = await Shot(page);
        var box = await page.EvaluateFunctionAsync<double[]>(
            "(r, c) => { const e = document.querySelectorAll('.ds-example .hrm-grid')[1].querySelector(`.cell[data-row=\"${r}\"][data-col=\"${c}\"]`); const b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; }", path[0], path[1]);
        AssertColour(shot, ((int)(box[0] + box[2] / 2), (int)(box[1] + box[3] / 2)), "#0074D9", what: "path cell");
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('.ds-example .hrm-grid')[0].querySelectorAll('.cell.path').length"));
    }

    [BrowserFact]
    public async Task Arc_examples_are_decoded_from_the_canvas_in_the_arc_palette()
    {
        await using var page = await Open(data.Arc, "arc");
        Assert.Equal(3, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#ds-groups li').length"));
        var split = PuzzleDatasetDirectory.ReadSet(data.Arc, "train", "all");
        var text = Hrm.Viz.GridText.Arc(split.Input(0), out _, out int cols);
        Assert.Equal(text, await GridText(page, 0));
        var shot = await Shot(page);
        int colour = text[0] - '0';
        AssertColour(shot, (await BoxOf(page, ".ds-example .hrm-grid .cell[data-row=\"0\"][data-col=\"0\"]")).Centre, HrmPalette[colour], what: $"ARC colour {colour}");
    }

    static readonly Hrm.Tasks.PuzzleTask Sudoku4 = new Hrm.Tasks.Sudoku.SudokuTask(Hrm.Tasks.Sudoku.SudokuShape.Size4);

    static readonly string[] HrmPalette = ["#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B", "#7FDBFF", "#870C25"];
}
