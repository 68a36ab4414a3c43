using PuppeteerSharp;
using SkiaSharp;

namespace Hrm.Tests.Viz;

/// <summary>
/// One headless Debian chromium per test class (an xunit class fixture), driven by PuppeteerSharp over the DevTools
/// protocol with <c>ExecutablePath</c> set: no browser download. When no chromium is installed the browser tests
/// ([BrowserFact]) are skipped with the install command, or fail with it under HRM_REQUIRE_ALL=1 (CI).
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    IBrowser? browser;

    public IBrowser Browser => browser ?? throw new InvalidOperationException("the browser has not started");

    /// <summary>$HRM_CHROMIUM, else the first of <see cref="Candidates"/> that exists.</summary>
    public static string FindExecutable() => FindExecutable(Environment.GetEnvironmentVariable("HRM_CHROMIUM"), Candidates);

    /// <summary>The chromium to drive, or null when there is none (the browser tests are then skipped).</summary>
    public static string? TryFindExecutable()
    {
        try { return FindExecutable(); }
        catch (InvalidOperationException) { return null; }
    }

    public static string FindExecutable(string? fromEnv, string[] candidates)
    {
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"HRM_CHROMIUM={fromEnv} does not exist");
        return candidates.FirstOrDefault(File.Exists) ?? throw new InvalidOperationException(
            $"the browser tests need chromium and found none at {string.Join(", ", candidates)}. Install it with " +
            "`sudo apt-get update && sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this when run as root), " +
            "or set HRM_CHROMIUM to a Chrome or Chromium binary.");
    }

    public async Task InitializeAsync()
    {
        if (Requirements.MissingChromium is not null) return;   // every test of the class is skipped
        browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = FindExecutable(),
            Headless = true,
            // sRGB output so screenshot pixels equal the CSS colours; no sandbox because CI runs as root.
            Args = ["--no-sandbox", "--disable-gpu", "--force-color-profile=srgb", "--hide-scrollbars", "--disable-dev-shm-usage"],
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        if (browser is not null) await browser.CloseAsync();
    }

    /// <summary>A fresh page of 1000 x 900 CSS pixels at scale 1, showing <paramref name="htmlFile"/> from file://.</summary>
    public async Task<IPage> Open(string htmlFile, string hash = "")
    {
        var page = await Browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1000, Height = 900, DeviceScaleFactor = 1 });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e.Message);
        await page.GoToAsync(new Uri(Path.GetFullPath(htmlFile)).AbsoluteUri + hash, WaitUntilNavigation.Load);
        Assert.True(errors.Count == 0, "page script errors: " + string.Join("; ", errors));
        return page;
    }
}

/// <summary>What a person sees: pixels of a screenshot and the boxes of elements.</summary>
public static class Screen
{
    public sealed record Box(double X, double Y, double Width, double Height)
    {
        public (int X, int Y) Centre => ((int)(X + Width / 2), (int)(Y + Height / 2));
        public (int X, int Y) At(double fx, double fy) => ((int)(X + Width * fx), (int)(Y + Height * fy));
    }

    public static async Task<SKBitmap> Shot(IPage page)
    {
        var png = await page.ScreenshotDataAsync(new ScreenshotOptions { Type = ScreenshotType.Png, FullPage = true });
        return SKBitmap.Decode(png) ?? throw new InvalidOperationException("the screenshot did not decode");
    }

    public static async Task<Box> BoxOf(IPage page, string selector)
    {
        var box = await page.EvaluateFunctionAsync<double[]?>(
            "s => { const e = document.querySelector(s); if (!e) return null; const r = e.getBoundingClientRect(); return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }",
            selector);
        Assert.True(box is not null, $"no element matches {selector}");
        return new Box(box![0], box[1], box[2], box[3]);
    }

    public static string Cell(string grid, int row, int col) => $"#{grid} .cell[data-row=\"{row}\"][data-col=\"{col}\"]";

    public static async Task<string> Text(IPage page, string selector) =>
        await page.EvaluateFunctionAsync<string>("s => document.querySelector(s).textContent", selector);

    /// <summary>"r,c" of every cell in <paramref name="grid"/> with class <paramref name="cls"/>, sorted.</summary>
    public static async Task<string[]> CellsWith(IPage page, string grid, string cls) =>
        (await page.EvaluateFunctionAsync<string[]>(
            "(g, c) => [...document.querySelectorAll('#' + g + ' .cell.' + c)].map(e => e.dataset.row + ',' + e.dataset.col)", grid, cls))
        .Order(StringComparer.Ordinal).ToArray();

    public static SKColor Pixel(SKBitmap shot, (int X, int Y) at) => shot.GetPixel(at.X, at.Y);

    /// <summary>Asserts a pixel is <paramref name="hex"/> within <paramref name="tolerance"/> per channel.</summary>
    public static void AssertColour(SKBitmap shot, (int X, int Y) at, string hex, int tolerance = 3, string what = "")
    {
        var want = SKColor.Parse(hex);
        var got = shot.GetPixel(at.X, at.Y);
        bool near = Math.Abs(got.Red - want.Red) <= tolerance && Math.Abs(got.Green - want.Green) <= tolerance && Math.Abs(got.Blue - want.Blue) <= tolerance;
        Assert.True(near, $"{what} pixel at {at}: expected {hex}, got #{got.Red:X2}{got.Green:X2}{got.Blue:X2}");
    }
}
