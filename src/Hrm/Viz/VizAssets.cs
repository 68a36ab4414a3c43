using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Hrm.Viz;

/// <summary>
/// The page script (viz.js: <c>HrmViz.renderTrace</c>, <c>drawGrid</c>, <c>renderDataset</c>) and style (viz.css),
/// embedded in the library so every page, and a served web app, draws grids with the same code.
/// </summary>
public static class VizAssets
{
    static readonly Lazy<string> script = new(() => Read("Hrm.Viz.viz.js"));
    static readonly Lazy<string> style = new(() => Read("Hrm.Viz.viz.css"));

    public static string Script => script.Value;
    public static string Style => style.Value;

    /// <summary>
    /// JSON that is safe inside a &lt;script&gt; element: the default encoder escapes '&lt;', '&gt;', '&amp;' and quotes,
    /// so no data can close the element. NaN and infinities become the strings "NaN" / "Infinity", which the script
    /// treats as gaps.
    /// </summary>
    internal static readonly JsonSerializerOptions EmbedJson = new()
    {
        Encoder = JavaScriptEncoder.Default,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>A complete page: the style, the data as an inert JSON block, the script and one line that starts it.</summary>
    internal static string Page(string title, string dataId, string json, string start) => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="hrm viz">
        <title>{{System.Net.WebUtility.HtmlEncode(title)}}</title>
        <style>
        {{Style}}
        </style>
        </head>
        <body>
        <div id="app"><noscript>This page draws with JavaScript; please enable it.</noscript></div>
        <script type="application/json" id="{{dataId}}">{{json}}</script>
        <script>
        {{Script}}
        </script>
        <script>{{start}}</script>
        </body>
        </html>

        """;

    static string Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from the Hrm assembly");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        // Inlined into <script>/<style>: a closing tag inside would end the element early.
        if (text.Contains("</script", StringComparison.OrdinalIgnoreCase) || text.Contains("</style", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"{name} must not contain a closing script or style tag");
        return text;
    }
}
