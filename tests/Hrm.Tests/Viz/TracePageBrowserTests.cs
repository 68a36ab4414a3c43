using Hrm.Viz;
using PuppeteerSharp;
using static Hrm.Tests.Viz.Screen;

namespace Hrm.Tests.Viz;

/// <summary>
/// The `hrm viz` trace page in a real headless chromium: what a person sees at known cells (pixel colours from a
/// screenshot), and that the step controls move the counter, the answer and the changed-cell marks.
/// </summary>
public sealed class TracePageBrowserTests(Chromium chromium) : IClassFixture<Chromium>, IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    async Task<IPage> OpenTrace(string sample, string hash = "")
    {
        var file = temp.File(sample + ".html");
        TracePage.Write(SampleTraces.Load(sample), file);
        return await chromium.Open(file, hash);
    }

    [BrowserFact]
    public async Task Sudoku_givens_are_grey_steps_move_the_counter_rings_and_red_violations()
    {
        await using var page = await OpenTrace("sudoku4");
        Assert.Equal("segment 1 / 4", await Text(page, "#step-counter"));
        var shot = await Shot(page);
        // A given digit's cell (row 0, col 0 holds '1'): grey background, bold black digit; a blank cell is white.
        AssertColour(shot, (await BoxOf(page, Cell("grid-input", 0, 0))).At(0.15, 0.15), "#dcdcdc", what: "given cell");
        AssertColour(shot, (await BoxOf(page, Cell("grid-input", 0, 1))).At(0.15, 0.15), "#ffffff", what: "blank cell");
        Assert.Equal("700", await page.EvaluateFunctionAsync<string>("s => getComputedStyle(document.querySelector(s)).fontWeight", Cell("grid-answer", 0, 0)));
        Assert.Empty(await CellsWith(page, "grid-answer", "changed"));

        await page.ClickAsync("#btn-next");
        Assert.Equal("segment 2 / 4", await Text(page, "#step-counter"));
        // Entry 2 fills every blank; "4331" repeats 3 in row 4, column 3 and the bottom-right box.
        Assert.Equal(["0,1", "0,2", "1,1", "1,3", "2,0", "2,2", "2,3", "3,1", "3,2"], await CellsWith(page, "grid-answer", "changed"));
        Assert.Equal(["0,2", "2,3", "3,1", "3,2"], await CellsWith(page, "grid-answer", "violation"));
        shot = await Shot(page);
        var red = Pixel(shot, (await BoxOf(page, Cell("grid-answer", 2, 3))).At(0.5, 0.2));
        Assert.True(red.Red > 240 && red.Green < 205 && red.Blue < 205, $"violation cell should be red, got {red}");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 3, 1))).At(0.03, 0.5), "#00a0a0", what: "changed ring");

        await page.Keyboard.PressAsync("ArrowRight");
        Assert.Equal("segment 3 / 4", await Text(page, "#step-counter"));
        Assert.Equal(["3,2"], await CellsWith(page, "grid-answer", "changed"));
        Assert.Empty(await CellsWith(page, "grid-answer", "violation"));
        Assert.Equal("solved", await page.EvaluateExpressionAsync<string>("document.querySelector('#verdict').dataset.verdict"));
        await page.Keyboard.PressAsync("ArrowLeft");
        Assert.Equal("segment 2 / 4", await Text(page, "#step-counter"));
    }

    [BrowserFact]
    public async Task Maze_path_is_drawn_over_the_walls_and_low_level_steps_are_counted()
    {
        await using var page = await OpenTrace("maze7");
        Assert.Equal("segment 1 / 2, step 1", await Text(page, "#step-counter"));
        await page.ClickAsync("#btn-next");
        Assert.Equal("segment 1 / 2, step 2", await Text(page, "#step-counter"));
        Assert.Equal(["1,2", "1,3"], await CellsWith(page, "grid-answer", "changed"));
        await page.ClickAsync("#btn-next");
        Assert.Equal("segment 1 / 2", await Text(page, "#step-counter"));
        Assert.Equal(["1,4", "2,4"], await CellsWith(page, "grid-answer", "changed"));
        Assert.Equal(["2,4"], await CellsWith(page, "grid-answer", "violation"));   // a path mark on a wall
        var shot = await Shot(page);
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 2, 4))).Centre, "#FF851B", what: "path mark on a wall");

        await page.Keyboard.PressAsync("End");
        Assert.Equal("segment 2 / 2", await Text(page, "#step-counter"));
        shot = await Shot(page);
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 1, 3))).Centre, "#0074D9", what: "path cell");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 0, 0))).Centre, "#2b2b2b", what: "wall");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 1, 1))).At(0.1, 0.1), "#2ECC40", what: "start");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 5, 5))).At(0.1, 0.1), "#FF4136", what: "goal");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 3, 1))).Centre, "#ffffff", what: "open cell off the path");
    }

    [BrowserFact]
    public async Task Arc_prediction_uses_the_palette_beside_input_and_expected_and_the_slider_and_play_move()
    {
        await using var page = await OpenTrace("arc-scale", "#entry=last");
        Assert.Equal("segment 3 / 3", await Text(page, "#step-counter"));
        var shot = await Shot(page);
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 0, 0))).Centre, "#0074D9", what: "colour 1");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 2, 2))).Centre, "#2ECC40", what: "colour 3");
        AssertColour(shot, (await BoxOf(page, Cell("grid-answer", 4, 4))).Centre, "#AAAAAA", what: "colour 5");
        AssertColour(shot, (await BoxOf(page, Cell("grid-input", 1, 2))).Centre, "#FFDC00", what: "input colour 4");
        AssertColour(shot, (await BoxOf(page, Cell("grid-expected", 5, 5))).Centre, "#AAAAAA", what: "expected colour 5");
        Assert.Equal(["0,0", "5,5"], await CellsWith(page, "grid-answer", "changed"));   // the two cells segment 3 fixed

        await page.EvaluateExpressionAsync("(() => { const s = document.querySelector('#step-slider'); s.value = 1; s.dispatchEvent(new Event('input')); })()");
        Assert.Equal("segment 2 / 3", await Text(page, "#step-counter"));
        Assert.Equal(36, (await CellsWith(page, "grid-answer", "changed")).Length);   // the answer grew from 3x3 to 6x6

        await page.ClickAsync("#btn-first");
        await page.ClickAsync("#btn-play");
        await page.WaitForFunctionAsync("() => document.querySelector('#step-counter').dataset.index === '2'", new WaitForFunctionOptions { Timeout = 5000 });
        Assert.Equal("false", await page.EvaluateExpressionAsync<string>("document.querySelector('#btn-play').dataset.playing"));
    }

    [BrowserFact]
    public async Task RenderTrace_follows_entries_streamed_in_one_by_one()
    {
        // What a served app does: draw an empty trace, then append entries as the model produces them.
        await using var page = await OpenTrace("sudoku4");
        var json = SampleTraces.Sudoku4.ToJson();
        await page.EvaluateFunctionAsync("""
            json => {
              const t = JSON.parse(json), entries = t.entries;
              const live = Object.assign({}, t, { entries: [], valid: null, correct: null, problem: null });
              const box = document.createElement('div'); box.id = 'live';
              document.body.innerHTML = ''; document.body.appendChild(box);
              window.ctl = HrmViz.renderTrace(box, live, { totalSegments: 4, keyboard: false });
              window.rest = entries;
            }
            """, json);
        Assert.Equal("waiting for the first step…", await Text(page, "#step-counter"));
        Assert.Equal("pending", await page.EvaluateExpressionAsync<string>("document.querySelector('#verdict').dataset.verdict"));
        await page.EvaluateExpressionAsync("ctl.append(rest[0]); ctl.append(rest[1])");
        Assert.Equal("segment 2 / 4", await Text(page, "#step-counter"));
        Assert.Equal(4, (await CellsWith(page, "grid-answer", "violation")).Length);
        await page.EvaluateExpressionAsync("ctl.append(rest[2]); ctl.append(rest[3]); ctl.finish({ valid: true, correct: true, problem: null })");
        Assert.Equal("segment 4 / 4", await Text(page, "#step-counter"));
        Assert.Equal("solved", await page.EvaluateExpressionAsync<string>("document.querySelector('#verdict').dataset.verdict"));
        Assert.Equal(4, await page.EvaluateExpressionAsync<int>("ctl.count"));
    }
}
