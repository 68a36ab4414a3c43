using System.Text;
using System.Text.Json;
using Hrm.Data;
using Hrm.Interop;

namespace Hrm.Training;

/// <summary>One swept config key and its values, from <c>key=v1,v2,...</c> (a single value is a fixed override).</summary>
public sealed record SweepAxis(string Key, IReadOnlyList<string> Values)
{
    public static SweepAxis Parse(string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new HrmException($"a sweep setting must be key=v1,v2,..., got '{assignment}'");
        var key = assignment[..eq].Trim();
        var values = assignment[(eq + 1)..].Split(',').Select(v => v.Trim()).ToList();
        if (values.Any(v => v.Length == 0)) throw new HrmException($"'{assignment}': an empty value in the list");
        if (values.Distinct().Count() != values.Count) throw new HrmException($"'{assignment}': a value appears twice");
        return new SweepAxis(key, values);
    }
}

/// <summary>One point of the grid: the key=value overrides of one training run, in axis order.</summary>
public sealed record SweepSetting(IReadOnlyList<(string Key, string Value)> Values)
{
    /// <summary>The overrides as <c>--set</c> arguments take them.</summary>
    public IEnumerable<string> Overrides => Values.Select(v => $"{v.Key}={v.Value}");

    /// <summary>What the table shows: the swept keys (those with more than one value), or every key when none varies.</summary>
    public string Label(IReadOnlyList<SweepAxis> axes)
    {
        var varying = axes.Where(a => a.Values.Count > 1).Select(a => a.Key).ToHashSet();
        var shown = Values.Where(v => varying.Count == 0 || varying.Contains(v.Key)).Select(v => $"{v.Key}={v.Value}").ToList();
        return shown.Count == 0 ? "(preset)" : string.Join(" ", shown);
    }

    /// <summary>A folder name for this setting: the label's characters outside [A-Za-z0-9._=-] become '_'.</summary>
    public string FolderName(IReadOnlyList<SweepAxis> axes, int index)
    {
        var label = Label(axes);
        var sb = new StringBuilder($"{index + 1:000}_");
        foreach (var ch in label) sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '=' or '-' ? ch : '_');
        var name = sb.ToString();
        return name.Length > 100 ? name[..100] : name;
    }
}

/// <summary>The grid of a sweep: every combination of the axes' values, the first axis varying slowest.</summary>
public static class SweepGrid
{
    /// <summary>Most runs one sweep may hold (a typo in a list should fail here, not start thousands of trainings).</summary>
    public const int MaxRuns = 1000;

    public static IReadOnlyList<SweepAxis> ParseAxes(IEnumerable<string> assignments)
    {
        var axes = assignments.Select(SweepAxis.Parse).ToList();
        var dup = axes.GroupBy(a => a.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new HrmException($"the sweep axis {dup.Key} is given twice: list its values in one assignment, {dup.Key}=v1,v2") { Key = dup.Key };
        return axes;
    }

    public static IReadOnlyList<SweepSetting> Expand(IReadOnlyList<SweepAxis> axes)
    {
        long count = axes.Aggregate(1L, (n, a) => n * a.Values.Count);
        if (count > MaxRuns) throw new HrmException($"the grid has {count} runs; at most {MaxRuns}");
        var settings = new List<SweepSetting> { new([]) };
        foreach (var axis in axes)
            settings = settings.SelectMany(s => axis.Values.Select(v => new SweepSetting([.. s.Values, (axis.Key, v)]))).ToList();
        return settings;
    }
}

/// <summary>One evaluation point of a run: held-out exact and token accuracy at a step.</summary>
public sealed record CurvePoint(long Step, double ExactAccuracy, double TokenAccuracy, int Count, double ElapsedSeconds);

/// <summary>What a finished run's metrics.jsonl says: its last step and time, and the evaluation curve of one set.</summary>
public sealed record RunSummary(long Steps, double ElapsedSeconds, IReadOnlyList<CurvePoint> Curve)
{
    public CurvePoint? Final => Curve.Count > 0 ? Curve[^1] : null;

    /// <summary>Reads RUN/metrics.jsonl (train and eval records); the curve is set <paramref name="set"/>'s evaluations.
    /// Returns null when the file is missing; unreadable lines (a run killed mid-write) are skipped.</summary>
    public static RunSummary? Read(string runDir, string set = PuzzleDatasetDirectory.DefaultSet)
    {
        var path = new RunFolder(runDir).MetricsPath;
        if (!File.Exists(path)) return null;
        long steps = 0;
        double elapsed = 0;
        var curve = new SortedDictionary<long, CurvePoint>();
        foreach (var line in File.ReadLines(path))
        {
            JsonElement r;
            try { r = JsonDocument.Parse(line).RootElement; }
            catch (JsonException) { continue; }
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("step", out var s) || !s.TryGetInt64(out long step)) continue;
            steps = Math.Max(steps, step);
            if (r.TryGetProperty("elapsed_s", out var e) && e.ValueKind == JsonValueKind.Number) elapsed = Math.Max(elapsed, e.GetDouble());
            if (r.TryGetProperty("kind", out var k) && k.GetString() == "eval" && r.TryGetProperty("set", out var name) && name.GetString() == set)
                curve[step] = new CurvePoint(step, Number(r, "exact_accuracy"), Number(r, "token_accuracy"),
                    r.TryGetProperty("count", out var c) && c.TryGetInt32(out int n) ? n : 0, Number(r, "elapsed_s"));
        }
        return new RunSummary(steps, elapsed, curve.Values.ToList());
    }

    static double Number(JsonElement r, string name) =>
        r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
}

/// <summary>A finished (or failed) run of a sweep.</summary>
public sealed record SweepRun(SweepSetting Setting, string Label, string RunDir, int ExitCode, double ProcessSeconds, RunSummary? Summary);
