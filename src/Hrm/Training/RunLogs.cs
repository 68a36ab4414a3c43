using System.Text.Json;

namespace Hrm.Training;

/// <summary>Appends one JSON object per logged step and per evaluated set to RUN/metrics.jsonl.</summary>
public sealed class JsonlMetricsLog : ITrainingObserver, IDisposable
{
    readonly StreamWriter log;

    public JsonlMetricsLog(string path, bool append) => log = new StreamWriter(path, append);

    public void OnStep(TrainProgress p)
    {
        var record = new Dictionary<string, object> { ["kind"] = "train", ["step"] = p.Step, ["elapsed_s"] = p.Elapsed.TotalSeconds };
        foreach (var (k, v) in p.Scalars()) record[k] = v;
        Write(record);
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
            Write(record);
        }
    }

    // NaN or infinity (a diverged run) are written as JSON strings rather than failing the run's log.
    static readonly JsonSerializerOptions Options = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    void Write(Dictionary<string, object> record)
    {
        log.WriteLine(JsonSerializer.Serialize(record, Options));
        log.Flush();
    }

    public void Dispose() => log.Dispose();
}

/// <summary>Writes the same scalars as TensorBoard event files under RUN/tensorboard.</summary>
public sealed class TensorBoardLog(string dir) : ITrainingObserver, IDisposable
{
    readonly TorchSharp.Modules.SummaryWriter tb = TorchSharp.torch.utils.tensorboard.SummaryWriter(dir);

    public void OnStep(TrainProgress p)
    {
        foreach (var (k, v) in p.Scalars()) tb.add_scalar(k, (float)v, (int)p.Step);
    }

    public void OnEvaluation(EvalReport report)
    {
        foreach (var (name, m) in report.Sets)
        {
            tb.add_scalar($"eval/{name}/exact_accuracy", (float)m.ExactAccuracy, (int)report.Step);
            tb.add_scalar($"eval/{name}/token_accuracy", (float)m.TokenAccuracy, (int)report.Step);
            tb.add_scalar($"eval/{name}/mean_segments", (float)m.MeanSegments, (int)report.Step);
        }
    }

    public void Dispose() => (tb as IDisposable)?.Dispose();
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
