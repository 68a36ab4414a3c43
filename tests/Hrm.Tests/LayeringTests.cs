using System.Text.RegularExpressions;

namespace Hrm.Tests;

/// <summary>
/// The library's layers depend one way only (docs/architecture.md): every namespace of src/Hrm names only its own or
/// lower layers, in `using` directives and in qualified names, and only the top layers (the analysis figures and the
/// viz pages) use the plotting and drawing libraries. Read from the source, so a new file is checked as soon as it is
/// added.
/// </summary>
public partial class LayeringTests
{
    /// <summary>The layers from the bottom. A namespace belongs to the longest prefix listed.</summary>
    public static readonly string[] Layers =
    [
        "Hrm",                       // HrmException, AtomicFile, ConfigKey
        "Hrm.Runtime",
        "Hrm.Data",
        "Hrm.Tasks",
        "Hrm.Model",
        "Hrm.Interop",
        "Hrm.Evaluation",
        "Hrm.Training",
        "Hrm.Tracing",
        "Hrm.Serving",
        "Hrm.Analysis",
        "Hrm.Viz",
    ];

    static readonly string[] DrawingLibraries = ["ScottPlot", "SkiaSharp"];
    static readonly string[] MayDraw = ["Hrm.Analysis", "Hrm.Viz"];

    static int LayerOf(string ns)
    {
        int best = -1, bestLength = -1;
        for (int i = 0; i < Layers.Length; i++)
            if ((ns == Layers[i] || ns.StartsWith(Layers[i] + ".", StringComparison.Ordinal)) && Layers[i].Length > bestLength)
                (best, bestLength) = (i, Layers[i].Length);
        return best;
    }

    [GeneratedRegex(@"^namespace\s+([\w.]+)", RegexOptions.Multiline)] private static partial Regex NamespaceLine();
    [GeneratedRegex(@"^using\s+(?:static\s+)?(?:\w+\s*=\s*)?([\w.]+)", RegexOptions.Multiline)] private static partial Regex UsingLine();
    [GeneratedRegex(@"(?<![\w.""])(Hrm(?:\.[A-Z]\w*)+)")] private static partial Regex QualifiedName();

    static IEnumerable<(string File, string Namespace, string Text)> Sources()
    {
        var root = Path.Combine(TestPaths.RepoRoot, "src", "Hrm");
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            var rel = Path.GetRelativePath(root, file);
            if (rel.StartsWith("bin", StringComparison.Ordinal) || rel.StartsWith("obj", StringComparison.Ordinal)) continue;
            // The package's MSBuild task (compiled by the consumer's build, not part of the library).
            if (rel.StartsWith("buildTransitive", StringComparison.Ordinal)) continue;
            var text = File.ReadAllText(file);
            var ns = NamespaceLine().Match(text);
            Assert.True(ns.Success, $"{rel}: no namespace");
            yield return (rel, ns.Groups[1].Value, text);
        }
    }

    /// <summary>Code without comments and string literals (a doc comment may name a higher layer).</summary>
    static string CodeOnly(string text)
    {
        text = Regex.Replace(text, @"//[^\n]*", "");
        text = Regex.Replace(text, @"/\*.*?\*/", "", RegexOptions.Singleline);
        return Regex.Replace(text, @"\$?@?""(?:[^""\\\n]|\\.)*""", "\"\"");
    }

    [Fact]
    public void Every_namespace_is_in_a_layer()
    {
        var unknown = Sources().Where(s => LayerOf(s.Namespace) < 0).Select(s => $"{s.File}: {s.Namespace}").ToList();
        Assert.True(unknown.Count == 0, "namespaces outside the layer list: " + string.Join("; ", unknown));
    }

    /// <summary>
    /// The folders show the layer order: every top-level folder of src/Hrm is exactly one layer (Hrm.X lives in X/),
    /// and every file directly in src/Hrm is the base layer. No layer's namespace nests inside another's folder.
    /// </summary>
    [Fact]
    public void Each_top_level_folder_is_one_layer()
    {
        var violations = new List<string>();
        foreach (var (file, ns, _) in Sources())
        {
            var parts = file.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
            string expected = parts.Length == 1 ? "Hrm" : "Hrm." + parts[0];
            int layer = LayerOf(ns);
            if (layer < 0 || Layers[layer] != expected) violations.Add($"{file}: {ns} is in layer {(layer < 0 ? "(none)" : Layers[layer])}, its folder says {expected}");
        }
        // Every layer above the base has its own top-level folder (Hrm.X in src/Hrm/X).
        foreach (var layer in Layers.Skip(1))
        {
            Assert.Equal(2, layer.Split('.').Length);
            Assert.True(Directory.Exists(Path.Combine(TestPaths.RepoRoot, "src", "Hrm", layer["Hrm.".Length..])), $"{layer}: no folder src/Hrm/{layer["Hrm.".Length..]}");
        }
        Assert.True(violations.Count == 0, "a namespace outside its layer's folder:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void No_layer_uses_a_higher_one()
    {
        var violations = new List<string>();
        foreach (var (file, ns, text) in Sources())
        {
            int mine = LayerOf(ns);
            var code = CodeOnly(text);
            var named = UsingLine().Matches(code).Select(m => m.Groups[1].Value)
                .Concat(QualifiedName().Matches(code).Select(m => m.Groups[1].Value))
                .Where(n => n.StartsWith("Hrm.", StringComparison.Ordinal));
            foreach (var name in named.Distinct())
            {
                // A qualified name may end in a type (Hrm.Tasks.CellGroups): its layer is that of its namespace prefix.
                int theirs = LayerOf(name);
                if (theirs > mine) violations.Add($"{file} ({ns}) uses {name} ({Layers[theirs]})");
            }
        }
        Assert.True(violations.Count == 0, "a lower layer uses a higher one:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Only_the_top_layers_draw()
    {
        var violations = Sources()
            .Where(s => !MayDraw.Any(top => LayerOf(s.Namespace) == Array.IndexOf(Layers, top)))
            .SelectMany(s => UsingLine().Matches(CodeOnly(s.Text)).Select(m => m.Groups[1].Value)
                .Where(u => DrawingLibraries.Any(d => u == d || u.StartsWith(d + ".", StringComparison.Ordinal)))
                .Select(u => $"{s.File} uses {u}"))
            .ToList();
        Assert.True(violations.Count == 0, "drawing libraries below the analysis and viz layers:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void The_checker_sees_a_violation()
    {
        // The rule itself: Tasks sits below Model, so Model may use Tasks and not the reverse.
        Assert.True(LayerOf("Hrm.Tasks.Sudoku") < LayerOf("Hrm.Model"));
        Assert.True(LayerOf("Hrm.Tracing") > LayerOf("Hrm.Training"));
        Assert.Equal(Array.IndexOf(Layers, "Hrm.Evaluation"), LayerOf("Hrm.Evaluation.Tracing"));
        Assert.Equal(Array.IndexOf(Layers, "Hrm.Evaluation"), LayerOf("Hrm.Evaluation.Solver"));
        Assert.Equal(["Hrm.Viz.TraceFrames.Render"], QualifiedName().Matches(CodeOnly("var x = Hrm.Viz.TraceFrames.Render(t);")).Select(m => m.Groups[1].Value));
        Assert.Equal(Array.IndexOf(Layers, "Hrm.Viz"), LayerOf("Hrm.Viz.TraceFrames.Render"));
        Assert.Empty(QualifiedName().Matches(CodeOnly("// see Hrm.Viz\nvar s = \"Hrm.Viz\";")));
    }
}
