using System.Text.Json;

namespace Hrm.Training;

/// <summary>
/// Appends one JSON object per logged step and per evaluated set to RUN/metrics.jsonl, one whole line at a time
/// (<see cref="AtomicFile.OpenAppend"/>): a line that cannot be written (a full disk) is cut off again and stops the run
/// with one line naming the file, so the earlier lines stay whole; a line left unfinished by a killed run is cut off
/// when a resume opens the file.
/// </summary>
public sealed class JsonlMetricsLog : ITrainingObserver, IDisposable
{
    readonly AppendOnlyFile log;

    public JsonlMetricsLog(string path, bool append) => log = AtomicFile.OpenAppend(path, append, lines: true);

    public void OnStep(TrainProgress p)
    {
        var record = new Dictionary<string, object> { ["kind"] = "train", ["step"] = p.Step, ["elapsed_s"] = p.Elapsed.TotalSeconds };
        foreach (var (k, v) in p.Scalars()) record[k] = v;
        Write(record, $"step {p.Step}'s training metrics");
    }

    public void OnEvaluation(EvalReport report)
    {
        foreach (var (name, m) in report.Sets)
        {
            var record = new Dictionary<string, object>
            {
                ["kind"] = "eval", ["step"] = report.Step, ["set"] = name, ["count"] = m.Count, ["exact_accuracy"] = m.ExactAccuracy,
                ["token_accuracy"] = m.TokenAccuracy, ["mean_segments"] = m.MeanSegments, ["q_halt_accuracy"] = m.QHaltAccuracy,
                ["elapsed_s"] = report.Elapsed.TotalSeconds,
            };
            if (m.ValidAccuracy is double valid) record["valid_accuracy"] = valid;
            if (m.ByDifficulty is { } rows)
                // {value: [count, exact, valid, token accuracy]} (valid -1 for a task without a rule): the curve per path
                // length (mazes) or blanks (Sudoku), compactly.
                record[$"by_{m.DifficultyMeasure}"] = rows.ToDictionary(r => r.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    r => (object)new object[] { r.Count, r.Exact, r.Valid ?? -1, Math.Round(r.TokenAccuracy, 6) });
            Write(record, $"step {report.Step}'s evaluation of {name}");
        }
    }

    // NaN or infinity (a diverged run) are written as JSON strings rather than failing the run's log.
    static readonly JsonSerializerOptions Options = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    void Write(Dictionary<string, object> record, string what) => log.AppendLine(JsonSerializer.Serialize(record, Options), what);

    public void Dispose() => log.Dispose();
}

/// <summary>Writes the same scalars as TensorBoard event files under RUN/tensorboard (<see cref="TensorBoardEventWriter"/>,
/// one whole record at a time through the write seam).</summary>
public sealed class TensorBoardLog(string dir) : ITrainingObserver, IDisposable
{
    readonly TensorBoardEventWriter tb = new(dir);

    public void OnStep(TrainProgress p)
    {
        foreach (var (k, v) in p.Scalars()) tb.AddScalar(k, (float)v, p.Step);
    }

    public void OnEvaluation(EvalReport report)
    {
        foreach (var (name, m) in report.Sets)
        {
            tb.AddScalar($"eval/{name}/exact_accuracy", (float)m.ExactAccuracy, report.Step);
            tb.AddScalar($"eval/{name}/token_accuracy", (float)m.TokenAccuracy, report.Step);
            tb.AddScalar($"eval/{name}/mean_segments", (float)m.MeanSegments, report.Step);
        }
    }

    public void Dispose() => tb.Dispose();
}

/// <summary>Passes every report to several observers, in order.</summary>
public sealed class TrainingObservers(IEnumerable<ITrainingObserver> observers) : ITrainingObserver
{
    readonly List<ITrainingObserver> all = observers.ToList();
    public void OnInfo(string message) { foreach (var o in all) o.OnInfo(message); }
    public void OnWarning(string message) { foreach (var o in all) o.OnWarning(message); }
    public void OnStep(TrainProgress progress) { foreach (var o in all) o.OnStep(progress); }
    public void OnEvaluation(EvalReport report) { foreach (var o in all) o.OnEvaluation(report); }
    public void OnCheckpoint(string path) { foreach (var o in all) o.OnCheckpoint(path); }
}
