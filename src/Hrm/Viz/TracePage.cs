using System.Text.Json;
using Hrm.Tracing;

namespace Hrm.Viz;

/// <summary>
/// The `hrm viz` page of one trace: a self-contained HTML file (inline style, script and data; no network) that opens
/// from file://. It shows the puzzle, then the decoded answer at each entry with step buttons, a slider, play/pause
/// and keyboard arrows; changed cells ringed, Sudoku givens bold and rule violations red, the maze path over the walls,
/// ARC grids in the ARC palette beside the input and expected output, confidence as shading, the Q values and
/// residuals as a chart, a step counter and the final verdict. Stable hooks for tests and scripts: #step-counter
/// (data-index, data-segment, data-step), #grid-answer / #grid-input / #grid-expected with .cell[data-row][data-col]
/// (classes given, changed, violation, path, wall), #btn-next, #btn-prev, #btn-play, #step-slider, #verdict
/// (data-verdict = solved | valid | wrong).
/// </summary>
public static class TracePage
{
    public static string Render(Trace trace, string? title = null)
    {
        trace.Validate();
        var heading = title ?? $"Reasoning trace: {trace.Puzzle.Rows}x{trace.Puzzle.Cols} {trace.Puzzle.Task}";
        var json = JsonSerializer.Serialize(trace, VizAssets.EmbedJson);
        var start = $"HrmViz.renderTrace(document.getElementById('app'), JSON.parse(document.getElementById('hrm-trace').textContent), {{ title: {JsonSerializer.Serialize(heading, VizAssets.EmbedJson)} }});";
        return VizAssets.Page(heading, "hrm-trace", json, start);
    }

    /// <summary>Renders and writes the page through a temporary file, so a reader never sees half a page.</summary>
    public static void Write(Trace trace, string path, string? title = null) => AtomicFile.WriteAllText(path, Render(trace, title));
}
