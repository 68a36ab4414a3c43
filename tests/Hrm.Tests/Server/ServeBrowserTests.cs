using System.Text.Json;
using Hrm.Server;
using Hrm.Tasks.Maze;
using Hrm.Tests.Viz;
using PuppeteerSharp;
using static Hrm.Tests.Viz.Screen;

namespace Hrm.Tests.Server;

/// <summary>
/// The served web app in a real headless chromium: type a Sudoku into the grid editor, press Solve, and read what a
/// person sees: the steps arriving one by one, the drawn answer (DOM and pixels) equal to the API's answer.
/// Set HRM_SERVE_SCREENSHOT to a .png path to keep a screenshot of the solved page, and HRM_SERVE_CHECKPOINT to a
/// trained 4x4 Sudoku checkpoint to serve it instead of the random tiny model. Also: the example button, the maze editor
/// on a 30x30 maze model, and the key form of a server with an API key.
/// </summary>
public sealed class ServeBrowserTests(Chromium chromium) : IClassFixture<Chromium>, IAsyncLifetime
{
    TestServer s = null!;

    public async Task InitializeAsync() => s = Environment.GetEnvironmentVariable("HRM_SERVE_CHECKPOINT") is { Length: > 0 } checkpoint
        ? await TestServer.StartFrom(checkpoint) : await TestServer.Start();
    public async Task DisposeAsync() => await s.DisposeAsync();

    [BrowserFact]
    public async Task Trajectories_set_in_the_page_run_a_search_and_the_status_names_the_choice()
    {
        await using var page = await chromium.Browser.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.GoToAsync(s.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        Assert.Equal("1", await page.EvaluateExpressionAsync<string>("document.querySelector('#samples').value"));
        await page.EvaluateExpressionAsync("document.querySelector('#puzzle-text').value = '1...\\n..2.\\n.3..\\n...4'; document.querySelector('#puzzle-text').dispatchEvent(new Event('input'))");
        await page.EvaluateExpressionAsync("document.querySelector('#samples').value = '4'; document.querySelector('#select').value = 'vote'");
        await page.ClickAsync("#btn-solve");
        await page.WaitForSelectorAsync("#solve-status[data-state=done], #solve-status[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.Equal("done", await page.EvaluateExpressionAsync<string>("document.querySelector('#solve-status').dataset.state"));
        Assert.Contains("of 4", await Text(page, "#solve-status"));
        Assert.Contains("by vote", await Text(page, "#solve-status"));
        var shown = JsonDocument.Parse(await Text(page, "#answer-json")).RootElement;
        Assert.Equal(4, shown.GetProperty("search").GetProperty("candidates").GetArrayLength());
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));
    }

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

    static async Task<IPage> Open(Chromium chromium, TestServer server, List<string> errors)
    {
        var page = await chromium.Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1100, Height = 1000, DeviceScaleFactor = 1 });
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.GoToAsync(server.Server.Address.AbsoluteUri, WaitUntilNavigation.Load);
        return page;
    }

    static Task<string> Value(IPage page, string selector) =>
        page.EvaluateFunctionAsync<string>("s => document.querySelector(s).value", selector);

    static async Task SolveAndWait(IPage page)
    {
        await page.ClickAsync("#btn-solve");
        await page.WaitForSelectorAsync("#solve-status[data-state=done], #solve-status[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });
        var state = await page.EvaluateExpressionAsync<string>("document.querySelector('#solve-status').dataset.state");
        Assert.True(state == "done", "the solve ended in " + state + ": " + await Text(page, "#solve-status"));
    }

    [BrowserFact]
    public async Task The_example_button_fills_the_editor_with_a_puzzle_the_model_takes()
    {
        var errors = new List<string>();
        await using var page = await Open(chromium, s, errors);
        await page.ClickAsync("#btn-example");
        await page.WaitForSelectorAsync("#example-source[data-state=done]", new WaitForSelectorOptions { Timeout = 30_000 });
        var puzzle = await Value(page, "#puzzle-text");
        s.Solver.Task.Parse(puzzle);   // a puzzle this model takes
        Assert.Contains("generated (seed 0)", await Text(page, "#example-source"));
        // The grid editor shows the same givens.
        var cells = await page.EvaluateExpressionAsync<string[]>("[...document.querySelectorAll('#sudoku-editor .sudoku-cell')].map(i => i.value || '.')");
        Assert.Equal(puzzle.Replace("\n", ""), string.Concat(cells));
        Assert.Contains(cells, c => c != ".");

        // Solved with its expected answer beside the model's.
        await SolveAndWait(page);
        var shown = JsonDocument.Parse(await Text(page, "#answer-json")).RootElement;
        Assert.Equal(s.Solver.Solve(puzzle).Text, shown.GetProperty("answer").GetString());
        Assert.True(shown.TryGetProperty("expected", out _));
        Assert.NotNull(await page.QuerySelectorAsync("#grid-expected"));

        // The next press loads the next example.
        await page.ClickAsync("#btn-example");
        await page.WaitForSelectorAsync("#example-source[data-index=\"1\"]", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));
    }

    [BrowserFact]
    public async Task The_maze_editor_builds_a_30x30_maze_that_the_api_solves_and_the_steps_draw()
    {
        await using var maze = await TestServer.Start(seqLen: 900, vocab: MazeEncoding.VocabSize, task: "maze");
        var errors = new List<string>();
        await using var page = await Open(chromium, maze, errors);
        // The editor's size is the server's (GET /v1/model's grid), not a constant of the page.
        Assert.Equal("30", await page.EvaluateExpressionAsync<string>("document.querySelector('#maze-editor').dataset.rows"));
        Assert.Equal("30", await page.EvaluateExpressionAsync<string>("document.querySelector('#maze-editor').dataset.cols"));
        string MazeCell(int r, int c) => $"#maze-editor .cell[data-row=\"{r}\"][data-col=\"{c}\"]";

        await page.ClickAsync("#maze-border");
        await page.SelectAsync("#maze-tool", "start");
        await page.ClickAsync(MazeCell(1, 1));
        await page.SelectAsync("#maze-tool", "goal");
        await page.ClickAsync(MazeCell(1, 2));
        await page.ClickAsync(MazeCell(28, 27));   // G moves: one goal only
        await page.SelectAsync("#maze-tool", "wall");
        foreach (var (r, c) in new[] { (5, 5), (5, 6), (5, 6), (10, 1) }) await page.ClickAsync(MazeCell(r, c));   // (5, 6) toggles back
        Assert.Contains("goal", await page.EvaluateExpressionAsync<string>($"document.querySelector('{MazeCell(28, 27).Replace("'", "\\'")}').className"));

        var grid = Enumerable.Range(0, 30).Select(r => Enumerable.Range(0, 30).Select(c => r is 0 or 29 || c is 0 or 29 ? '#' : ' ').ToArray()).ToArray();
        grid[1][1] = 'S'; grid[28][27] = 'G'; grid[5][5] = '#'; grid[10][1] = '#';
        var text = string.Join('\n', grid.Select(r => new string(r)));
        Assert.Equal(text, await Value(page, "#puzzle-text"));

        await SolveAndWait(page);
        int n = maze.Solver.Config.HaltMaxSteps;
        string[] events = ["start", .. Enumerable.Repeat("entry", n), "result"];
        Assert.Equal(events, await page.EvaluateExpressionAsync<string[]>("window.hrmApp.events"));
        Assert.Equal("30", await page.EvaluateExpressionAsync<string>("document.querySelector('#grid-answer').dataset.rows"));
        var shown = JsonDocument.Parse(await Text(page, "#answer-json")).RootElement;
        Assert.Equal(maze.Solver.Solve(text).Text, shown.GetProperty("answer").GetString());
        Assert.Equal(900, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#grid-answer .cell').length"));
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));
    }

    [BrowserFact]
    public async Task With_an_api_key_the_page_asks_for_it_and_then_works()
    {
        await using var locked = await TestServer.Start(new ServeOptions { ApiKey = "page-key-7d1e" });
        var errors = new List<string>();
        await using var page = await Open(chromium, locked, errors);
        Assert.Null(await page.QuerySelectorAsync("#btn-solve"));
        await page.TypeAsync("#api-key", "wrong");
        await page.ClickAsync("#btn-key");
        await page.WaitForSelectorAsync("#key-status[data-state=error]", new WaitForSelectorOptions { Timeout = 30_000 });
        Assert.StartsWith("401: wrong API key", await Text(page, "#key-status"));
        await page.EvaluateExpressionAsync("document.querySelector('#api-key').value = ''");
        await page.TypeAsync("#api-key", "page-key-7d1e");
        await page.ClickAsync("#btn-key");
        await page.WaitForSelectorAsync("#btn-solve", new WaitForSelectorOptions { Timeout = 30_000 });
        await page.ClickAsync("#btn-example");
        await page.WaitForSelectorAsync("#example-source[data-state=done]", new WaitForSelectorOptions { Timeout = 30_000 });
        await SolveAndWait(page);
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));
    }
}
