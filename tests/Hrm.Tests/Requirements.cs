using Hrm.Runtime;
using Hrm.Tests.Viz;

namespace Hrm.Tests;

/// <summary>
/// Tests that need something of the machine beyond the .NET SDK: a chromium for the browser tests, a font file for
/// the figures and frames. Without it such a test is skipped with one line naming the package to install; with
/// HRM_REQUIRE_ALL=1 (set by .ci/run, which installs both) it runs and fails instead, so CI runs every test.
/// </summary>
public static class Requirements
{
    static bool RequireAll => Environment.GetEnvironmentVariable("HRM_REQUIRE_ALL") == "1";

    public static string? MissingChromium =>
        RequireAll || Chromium.TryFindExecutable() is not null ? null
        : "needs chromium for the browser tests: apt-get install chromium (or set HRM_CHROMIUM)";

    public static string? MissingFont =>
        RequireAll || SystemFonts.Regular is not null ? null
        : "needs a font file for figures: apt-get install fonts-dejavu-core (or set HRM_FONT)";
}

/// <summary>A fact that drives chromium: skipped with the install line when there is none.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute() { if (Requirements.MissingChromium is string why) Skip = why; }
}

/// <summary>A fact that draws a figure or frame with text: skipped with the install line when no font file exists.</summary>
public sealed class FigureFactAttribute : FactAttribute
{
    public FigureFactAttribute() { if (Requirements.MissingFont is string why) Skip = why; }
}

/// <summary>A theory that draws a figure or frame with text: skipped with the install line when no font file exists.</summary>
public sealed class FigureTheoryAttribute : TheoryAttribute
{
    public FigureTheoryAttribute() { if (Requirements.MissingFont is string why) Skip = why; }
}
