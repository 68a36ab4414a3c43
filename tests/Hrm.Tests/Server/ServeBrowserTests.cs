using System.Text.Json;
using Hrm.Tests.Viz;
using PuppeteerSharp;
using static Hrm.Tests.Viz.Screen;

namespace Hrm.Tests.Server;

/// <summary>
/// The served web app in a real headless chromium: type a Sudoku into the grid editor, press Solve, and read what a
/// person sees: the steps arriving one by one, the drawn answer (DOM and pixels) equal to the API's answer.
/// Set HRM_SERVE_SCREENSHOT to a .png path to keep a screenshot of the solved page, and HRM_SERVE_CHECKPOINT to a
/// trained 4x4 Sudoku checkpoint to serve it instead of the random tiny model.
/// </summary>
public sealed class ServeBrowserTests(Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    TestServer s = null!;

    public async Task InitializeAsync() => s = Environment.GetEnvironmentVariable("HRM_SERVE_CHECKPOINT") is { Length: > 0 } checkpoint
        ? await TestServer.StartFrom(checkpoint) : await TestServer.Start();
    public async Task DisposeAsync() => await s.DisposeAsync();

    [BrowserFact]
    public async Task A_puzzle_typed_into_the_page_streams_its_steps_and_draws_the_answer()
    {
        await using var page = await chromium.Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1100, Height = 1000, DeviceScaleFactor = 1 });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.GoToAsync(s.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        Assert.Equal("idle", await page.EvaluateExpressionAsync<string>("document.querySelector('#solve-status').dataset.state"));

        // Givens typed into the editor: 1 at (0,0), 2 at (1,2), 3 at (2,1), 4 at (3,3).
        foreach (var (r, c, d) in new[] { (0, 0, "1"), (1, 2, "2"), (2, 1, "3"), (3, 3, "4") })
            await page.TypeAsync($"#sudoku-editor .sudoku-cell[data-row=\"{r}\"][data-col=\"{c}\"]", d);
        const string puzzle = "1...\n..2.\n.3..\n...4";
        Assert.Equal(puzzle, await page.EvaluateExpressionAsync<string>("document.querySelector('#puzzle-text').value"));

        await page.ClickAsync("#btn-solve");
        await page.WaitForSelectorAsync("#solve-status[data-state=done], #solve-status[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal("done", await page.EvaluateExpressionAsync<string>("document.querySelector('#solve-status').dataset.state"));
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));

        // The steps arrived as separate events, one per segment, before the result.
        int n = s.Solver.Config.HaltMaxSteps;
        string[] events = ["start", .. Enumerable.Repeat("entry", n), "result"];
        Assert.Equal(events, await page.EvaluateExpressionAsync<string[]>("window.hrmApp.events"));
        Assert.Equal(n.ToString(), await page.EvaluateExpressionAsync<string>("document.querySelector('#solve-status').dataset.entries"));
        Assert.Equal($"segment {n} / {n}", await Text(page, "#step-counter"));

        // The drawn answer is the model's answer (the solver's own, and the response JSON the page shows).
        var expected = s.Solver.Solve(puzzle);
        var shown = JsonDocument.Parse(await Text(page, "#answer-json")).RootElement;
        Assert.Equal(expected.Text, shown.GetProperty("answer").GetString());
        var drawn = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('#grid-answer .cell')].map(e => e.dataset.row + ',' + e.dataset.col + '=' + (e.querySelector('.v') ? e.querySelector('.v').textContent : '.'))");
        var rows = expected.Text.Split('\n');
        var want = Enumerable.Range(0, 4).SelectMany(r => Enumerable.Range(0, 4).Select(c => $"{r},{c}={rows[r][c]}")).ToArray();
        Assert.Equal(want, drawn);
        Assert.Equal(expected.Valid ? "valid" : "wrong", await page.EvaluateExpressionAsync<string>("document.querySelector('#verdict').dataset.verdict"));

        // What a person sees: the given cells of the puzzle grey, a blank one white.
        var shot = await Shot(page);
        AssertColour(shot, (await BoxOf(page, Cell("grid-input", 0, 0))).At(0.15, 0.15), "#dcdcdc", what: "given cell");
        AssertColour(shot, (await BoxOf(page, Cell("grid-input", 0, 1))).At(0.15, 0.15), "#ffffff", what: "blank cell");

        // Stepping back shows an earlier segment.
        await page.ClickAsync("#btn-first");
        Assert.Equal($"segment 1 / {n}", await Text(page, "#step-counter"));
        await page.ClickAsync("#btn-last");

        if (Environment.GetEnvironmentVariable("HRM_SERVE_SCREENSHOT") is { Length: > 0 } path)
            await page.ScreenshotAsync(path, new ScreenshotOptions { FullPage = true });
    }

    [BrowserFact]
    public async Task A_rejected_puzzle_shows_the_servers_message()
    {
        await using var page = await chromium.Browser.NewPageAsync();
        await page.GoToAsync(s.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        await page.EvaluateExpressionAsync("document.querySelector('#puzzle-text').value = '1..x'");
        await page.ClickAsync("#btn-solve");
        await page.WaitForSelectorAsync("#solve-status[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.StartsWith("400: malformed puzzle", await Text(page, "#solve-status"));
    }
}
