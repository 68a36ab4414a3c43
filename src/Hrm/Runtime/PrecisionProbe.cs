using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Hrm.Runtime;

/// <summary>
/// What <c>forward_dtype</c> resolved to: the dtype requested ("auto", "float32" or "bfloat16"), the one that runs,
/// whether bfloat16 is native here, how the choice was made, and the probe's per-round median times of the model's own
/// step in each dtype (empty when no probe ran).
/// </summary>
/// <param name="Work">What was timed: "training step" or "inference segment".</param>
/// <param name="Source">"as configured", "no native bfloat16", "measured" or "cached" (a decision read back from the run folder).</param>
public sealed record PrecisionChoice(string Requested, string Dtype, bool NativeBf16, string Work, string Source,
    IReadOnlyList<double> Float32Rounds, IReadOnlyList<double> BFloat16Rounds)
{
    /// <summary>Median over the rounds of float32 (ms per step), or null when no probe ran.</summary>
    public double? Float32Ms => Float32Rounds.Count > 0 ? PrecisionProbe.Median(Float32Rounds) : null;
    /// <summary>Median over the rounds of bfloat16 (ms per step), or null when no probe ran.</summary>
    public double? BFloat16Ms => BFloat16Rounds.Count > 0 ? PrecisionProbe.Median(BFloat16Rounds) : null;

    /// <summary>float32 time / bfloat16 time of each paired round (above 1: bfloat16 was faster).</summary>
    public IReadOnlyList<double> Ratios => Enumerable.Range(0, Math.Min(Float32Rounds.Count, BFloat16Rounds.Count))
        .Select(i => Float32Rounds[i] / BFloat16Rounds[i]).ToArray();

    /// <summary>The median of <see cref="Ratios"/> (above 1: bfloat16 is faster), or null when no probe ran.</summary>
    public double? Bf16Speedup => Ratios.Count > 0 ? PrecisionProbe.Median(Ratios) : null;

    string Timing => Float32Ms is double f && BFloat16Ms is double b && Bf16Speedup is double s
        ? string.Create(CultureInfo.InvariantCulture,
            $"{Work} {f:F1} ms float32, {b:F1} ms bfloat16, medians of {Ratios.Count} paired round(s); float32/bfloat16 per round {string.Join(", ", Ratios.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))}, median {s:F2}")
        : "no probe";

    /// <summary>One line for the log, e.g. "forward_dtype auto: float32 (bfloat16 is native but not faster ...; training step 40.1 ms float32, ...)".</summary>
    public string Describe()
    {
        string why = Requested != "auto" ? "as configured"
            : !NativeBf16 ? "no native bfloat16 on this CPU (AVX-512 BF16 or AMX): no probe"
            : Float32Rounds.Count == 0 ? "bfloat16 is native, but one step outlasts the probe's budget: float32 without timing"
            : Dtype == "bfloat16" ? $"native bfloat16, faster than float32 by the probe's rule: in every paired round, >= {PrecisionProbe.MinSpeedup:F1}x in the median of >= {PrecisionProbe.MinRounds}"
            : $"bfloat16 is native but not faster by the probe's rule: in every paired round, >= {PrecisionProbe.MinSpeedup:F1}x in the median of >= {PrecisionProbe.MinRounds}";
        if (Source == "cached") why += "; decided earlier for this machine, shape and batch";
        return $"forward_dtype {Requested}: {Dtype} ({why}; {Timing})";
    }

    /// <summary>For an explicit bfloat16 without native support: the warning, else null.</summary>
    public string? Warning => Requested == "bfloat16" && !NativeBf16
        ? "warning: this CPU has no native bfloat16 (AVX-512 BF16/AMX): bfloat16 is emulated, about 10x slower than float32 " +
          "per training step (measured at hidden 128 on an AVX2-only EPYC); arch.forward_dtype float32 or auto picks the faster one"
        : null;
}

/// <summary>One unit of the work a probe times (a training step, an inference segment) in one dtype; <see cref="Run"/>
/// must return only when the work is done (a host copy synchronises a CUDA device).</summary>
public interface ITimedWork : IDisposable
{
    void Run();
}

/// <summary>
/// Resolves <c>forward_dtype</c>. "auto" on a CPU without native bfloat16 (no avx512_bf16/amx_bf16 flag) is float32
/// at once, without a probe. Elsewhere the probe times the model's own work (the trainer: a training step of the model
/// about to train at its batch size; eval and serve: a no-gradient segment at the inference batch) in each dtype, after
/// warm-up, in alternating rounds, and keeps bfloat16 only by <see cref="Decide"/>. A decision can be cached in a file
/// (a run folder's precision.json) under a key of the machine, the threads, the model shape and the batch, so that a
/// resumed run does not decide again. An explicit dtype is kept; an explicit bfloat16 without native support warns.
/// </summary>
public static class PrecisionProbe
{
    public static readonly string[] Names = ["auto", "float32", "bfloat16"];

    /// <summary>bfloat16's median step must be at least this many times faster than float32's.</summary>
    public const double MinSpeedup = 1.2;
    /// <summary>Untimed steps per dtype before the rounds (allocator, autograd graph, BLAS packing).</summary>
    public const int WarmupSteps = 2;
    /// <summary>Timed steps per dtype in one round; the round's figure is their median.</summary>
    public const int StepsPerRound = 3;
    /// <summary>Rounds at most; each runs both dtypes back to back, alternating which goes first.</summary>
    public const int MaxRounds = 3;
    /// <summary>bfloat16 needs at least this many rounds to be chosen: one round cannot show that it was not luck.</summary>
    public const int MinRounds = 2;
    /// <summary>The probe starts no round past <see cref="MinRounds"/> after this much time, and times nothing when the
    /// warm-up alone takes twice as long.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The decision rule, separate from the timing so that it can be checked with given numbers. The lists are paired
    /// rounds: round i timed float32 and bfloat16 back to back (the probe alternates which goes first), so a change of
    /// load between rounds hits both of a pair. bfloat16 only where it is native, at least <see cref="MinRounds"/> pairs
    /// were timed, bfloat16 was faster in every pair, and the median of the pairs' ratios (float32 / bfloat16) is at
    /// least <see cref="MinSpeedup"/>. On a shared machine one step can be 10-30% off and a whole round more; a 1.2x
    /// margin held in the median of two or three paired rounds, with no round the other way, is what such noise does
    /// not produce when the dtypes are equally fast. Anything less keeps float32, which is never wrong, only slower.
    /// </summary>
    public static string Decide(bool nativeBf16, IReadOnlyList<double> float32Rounds, IReadOnlyList<double> bfloat16Rounds)
    {
        int n = Math.Min(float32Rounds.Count, bfloat16Rounds.Count);
        if (!nativeBf16 || n < MinRounds) return "float32";
        if (float32Rounds.Concat(bfloat16Rounds).Any(t => !double.IsFinite(t) || t <= 0)) return "float32";
        var ratios = Enumerable.Range(0, n).Select(i => float32Rounds[i] / bfloat16Rounds[i]).ToArray();
        return ratios.All(r => r > 1) && Median(ratios) >= MinSpeedup ? "bfloat16" : "float32";
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) throw new ArgumentException("no values");
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    /// <summary>Whether bfloat16 is native on <paramref name="device"/>: the CPU's flags; CUDA devices count as native
    /// (the probe still decides).</summary>
    public static bool IsNative(Device device) => device.type != TorchSharp.DeviceType.CPU || CpuFeatures.HasNativeBf16;

    /// <summary>Checks a requested dtype name.</summary>
    public static string Check(string requested) =>
        Names.Contains(requested) ? requested : throw new HrmException($"forward_dtype must be one of {string.Join(", ", Names)}, not '{requested}'");

    /// <summary>
    /// Resolves <paramref name="requested"/> on <paramref name="device"/>. For "auto" where bfloat16 is native:
    /// the decision cached in <paramref name="cachePath"/> under <paramref name="shapeKey"/> for this machine, else a
    /// probe of <paramref name="work"/> (a factory of the model's own step in a dtype), written back to the cache.
    /// <paramref name="log"/> receives the choice for "auto" (with both timings) and the warning for an explicit
    /// bfloat16 that is emulated here.
    /// </summary>
    /// <param name="workName">"training step" or "inference segment" (the log's words and part of the cache key).</param>
    /// <param name="shapeKey">The model shape and batch the work runs at (the cache key with the machine).</param>
    public static PrecisionChoice Resolve(string requested, Device device, string workName, string shapeKey,
        Func<ScalarType, ITimedWork> work, string? cachePath = null, Action<string>? log = null) =>
        Resolve(requested, IsNative(device), CacheKey(device, workName, shapeKey), workName, work, cachePath, log);

    /// <summary><see cref="Resolve(string, Device, string, string, Func{ScalarType, ITimedWork}, string?, Action{string}?)"/>
    /// with the native-bfloat16 answer and the cache key given (what tests can set).</summary>
    public static PrecisionChoice Resolve(string requested, bool nativeBf16, string cacheKey, string workName,
        Func<ScalarType, ITimedWork> work, string? cachePath = null, Action<string>? log = null)
    {
        Check(requested);
        if (requested != "auto")
        {
            var explicitChoice = new PrecisionChoice(requested, requested, nativeBf16, workName, "as configured", [], []);
            if (explicitChoice.Warning is string w) log?.Invoke(w);
            return explicitChoice;
        }
        PrecisionChoice choice;
        if (!nativeBf16) choice = new PrecisionChoice(requested, "float32", nativeBf16, workName, "no native bfloat16", [], []);
        else if (cachePath is not null && ReadCache(cachePath, cacheKey) is { } cached)
            choice = new PrecisionChoice(requested, cached.Dtype, nativeBf16, workName, "cached", cached.Float32, cached.BFloat16);
        else
        {
            var (f, b) = Measure(work);
            choice = new PrecisionChoice(requested, Decide(nativeBf16, f, b), nativeBf16, workName, "measured", f, b);
            if (cachePath is not null) WriteCache(cachePath, cacheKey, choice);
        }
        log?.Invoke(choice.Describe());
        return choice;
    }

    /// <summary>
    /// Per-round medians (ms) of <paramref name="work"/> in float32 and bfloat16: both built first, <see cref="WarmupSteps"/>
    /// untimed steps each, then up to <see cref="MaxRounds"/> rounds of <see cref="StepsPerRound"/> timed steps per dtype
    /// (one step per round when the warm-up took more than a quarter of <see cref="Budget"/>), the order alternating
    /// between rounds. Stops after a round in which bfloat16 was not faster (it cannot win), and starts no round past
    /// <see cref="MinRounds"/> once <see cref="Budget"/> is spent, nor any past three budgets. When the warm-up alone
    /// outlasts two budgets (a step takes tens of seconds) nothing is timed and the lists are empty: float32.
    /// </summary>
    public static (List<double> Float32, List<double> BFloat16) Measure(Func<ScalarType, ITimedWork> work)
    {
        using var fp32 = work(ScalarType.Float32);
        using var bf16 = work(ScalarType.BFloat16);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < WarmupSteps && clock.Elapsed <= Budget; i++) { fp32.Run(); bf16.Run(); }
        var f = new List<double>();
        var b = new List<double>();
        if (clock.Elapsed > 2 * Budget) return (f, b);
        int steps = clock.Elapsed > Budget / 4 ? 1 : StepsPerRound;
        for (int round = 0; round < MaxRounds; round++)
        {
            if ((round >= MinRounds && clock.Elapsed > Budget) || clock.Elapsed > 3 * Budget) break;
            if (round % 2 == 0) { f.Add(Round(fp32, steps)); b.Add(Round(bf16, steps)); }
            else { b.Add(Round(bf16, steps)); f.Add(Round(fp32, steps)); }
            if (b[^1] >= f[^1]) break;
        }
        return (f, b);
    }

    static double Round(ITimedWork work, int steps)
    {
        var times = new double[steps];
        for (int i = 0; i < times.Length; i++)
        {
            var sw = Stopwatch.StartNew();
            work.Run();
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        return Median(times);
    }

    /// <summary>The machine (CPU model and a hash of its flags, or the CUDA device), the intra-op threads, the work and
    /// the shape: a cached decision applies only where all of them are the same.</summary>
    public static string CacheKey(Device device, string workName, string shapeKey) =>
        $"{(device.type == TorchSharp.DeviceType.CPU ? $"cpu {CpuFeatures.ModelName} flags {CpuFeatures.FlagsHash}" : device.ToString())}" +
        $" | threads {get_num_threads()} | {workName} | {shapeKey}";

    sealed record Cached(string Dtype, List<double> Float32, List<double> BFloat16);

    static Cached? ReadCache(string path, string key)
    {
        if (!File.Exists(path)) return null;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path))?["decisions"] is not JsonArray entries) return null;
            foreach (var e in entries)
                if (e?["key"]?.GetValue<string>() == key && e["dtype"]?.GetValue<string>() is "float32" or "bfloat16")
                    return new Cached(e["dtype"]!.GetValue<string>(),
                        e["float32_round_ms"]?.AsArray().Select(x => x!.GetValue<double>()).ToList() ?? [],
                        e["bfloat16_round_ms"]?.AsArray().Select(x => x!.GetValue<double>()).ToList() ?? []);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or IOException) { }   // unreadable: decide again
        return null;
    }

    static void WriteCache(string path, string key, PrecisionChoice choice)
    {
        JsonArray entries = [];
        try
        {
            if (File.Exists(path) && JsonNode.Parse(File.ReadAllText(path))?["decisions"] is JsonArray old)
                foreach (var e in old)
                    if (e is JsonObject o && o["key"]?.GetValue<string>() != key) entries.Add(o.DeepClone());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or IOException) { }
        entries.Add(new JsonObject
        {
            ["key"] = key,
            ["dtype"] = choice.Dtype,
            ["float32_round_ms"] = new JsonArray(choice.Float32Rounds.Select(x => (JsonNode)Math.Round(x, 3)).ToArray()),
            ["bfloat16_round_ms"] = new JsonArray(choice.BFloat16Rounds.Select(x => (JsonNode)Math.Round(x, 3)).ToArray()),
            ["rule"] = $"bfloat16 if native, >= {MinRounds} paired rounds, faster in every round and >= {MinSpeedup.ToString(CultureInfo.InvariantCulture)}x in the median of the rounds' ratios",
            ["decided_at"] = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
        });
        try
        {
            AtomicFile.WriteAllText(path, new JsonObject { ["decisions"] = entries }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        catch (HrmException) { }   // a read-only folder: the decision is not cached, the run goes on
    }
}
