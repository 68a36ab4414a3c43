using System.Net;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using Hrm.Viz;

namespace Hrm.Server;

/// <summary>
/// The served web app: one page with the viz style and script (the same drawing as `hrm viz`), the model's facts as
/// an inert JSON block, and app.js (the puzzle editor, the Solve button, and the server-sent-event reader that feeds
/// <c>HrmViz.renderTrace(...).append(entry)</c>). Stable hooks for tests: #puzzle-text, #sudoku-editor
/// .sudoku-cell[data-row][data-col], #maze-editor .cell[data-row][data-col] with #maze-tool (wall | start | goal),
/// #btn-example and #example-source (data-state, data-index), #halt, #max-steps, #per-step, #samples, #select, #btn-solve, #solve-status
/// (data-state = idle | running | done | error, data-entries), #answer-json, #trace-view (the viz hooks inside it), and
/// with an API key #api-key, #btn-key, #key-status.
/// </summary>
public static class WebApp
{
    static readonly Lazy<string> script = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Hrm.Server.app.js")
            ?? throw new InvalidOperationException("embedded resource Hrm.Server.app.js is missing");
        return new StreamReader(stream).ReadToEnd();
    });

    static readonly JsonSerializerOptions Embed = new() { Encoder = JavaScriptEncoder.Default };

    public static string Render(object modelInfo) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>hrm serve</title>
        <style>
        {{VizAssets.Style}}
        .hrm-app { font: 14px system-ui, sans-serif; margin: 16px; }
        .hrm-app textarea { font: 14px ui-monospace, monospace; width: 100%; max-width: 640px; height: 160px; }
        .hrm-form { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
        .hrm-form .opts { display: flex; flex-direction: column; gap: 6px; }
        #sudoku-editor { display: inline-grid; border: 2px solid #333; }
        #sudoku-editor input { width: 28px; height: 28px; text-align: center; font: 16px ui-monospace, monospace; border: 1px solid #bbb; padding: 0; }
        #sudoku-editor input.box-r { border-right: 2px solid #333; }
        #sudoku-editor input.box-b { border-bottom: 2px solid #333; }
        #solve-status[data-state=error], #key-status[data-state=error], #example-source[data-state=error] { color: #c00; }
        #maze-editor .cell { cursor: pointer; }
        .maze-tools { margin-bottom: 6px; }
        #example-source { max-width: 360px; }
        #answer-json { background: #f6f6f6; padding: 8px; max-width: 900px; overflow: auto; font-size: 12px; }
        </style>
        </head>
        <body>
        <div class="hrm-app" id="app-root"><noscript>This app needs JavaScript.</noscript></div>
        <script type="application/json" id="hrm-model">{{JsonSerializer.Serialize(modelInfo, Embed)}}</script>
        <script>
        {{VizAssets.Script}}
        </script>
        <script>
        {{script.Value}}
        </script>
        </body>
        </html>

        """;

    internal static string Html(string s) => WebUtility.HtmlEncode(s);
}
