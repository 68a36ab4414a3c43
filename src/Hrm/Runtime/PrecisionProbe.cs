using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Hrm.Runtime;

/// <summary>
/// What <c>forward_dtype</c> resolved to on this machine: the dtype requested ("auto", "float32" or "bfloat16"), the
/// one that runs, whether bfloat16 is native here, and the probe's timings of one matmul in each dtype (null when
/// no probe ran).
/// </summary>
public sealed record PrecisionChoice(string Requested, string Dtype, bool NativeBf16, double? Float32Ms, double? BFloat16Ms)
{
    /// <summary>float32 time / bfloat16 time of the probe matmul (above 1: bfloat16 is faster).</summary>
    public double? Bf16Speedup => Float32Ms is double f && BFloat16Ms is double b && b > 0 ? f / b : null;

    string Timing => Float32Ms is double f && BFloat16Ms is double b
        ? string.Create(CultureInfo.InvariantCulture, $"probe matmul {f:F2} ms float32, {b:F2} ms bfloat16 ({(b >= f ? $"bfloat16 {b / f:F1}x slower" : $"bfloat16 {f / b:F1}x faster")})")
        : "no probe";

    /// <summary>One line for the log, e.g. "forward_dtype auto: float32 (no native bfloat16 on this CPU; probe ...)".</summary>
    public string Describe()
    {
        string why = Requested != "auto" ? "as configured"
            : Dtype == "bfloat16" ? "native bfloat16, faster than float32 here"
            : NativeBf16 ? "bfloat16 is native but not faster here" : "no native bfloat16 on this CPU (AVX-512 BF16 or AMX)";
        return $"forward_dtype {Requested}: {Dtype} ({why}; {Timing})";
    }

    /// <summary>For an explicit bfloat16 without native support: the warning with the measured slowdown, else null.</summary>
    public string? Warning => Requested == "bfloat16" && !NativeBf16
        ? "warning: this CPU has no native bfloat16 (AVX-512 BF16/AMX): bfloat16 is emulated" +
          (Bf16Speedup is double s ? string.Create(CultureInfo.InvariantCulture, $", {1 / s:F1}x slower than float32 in a matmul measured here") : "") +
          "; arch.forward_dtype float32 or auto picks the faster one"
        : null;
}

/// <summary>
/// Resolves <c>forward_dtype</c>: "auto" picks bfloat16 only where it is native and a short probe (one matmul in each
/// dtype, a few milliseconds) finds it faster, float32 elsewhere; an explicit dtype is kept, and an explicit bfloat16
/// on a CPU without native support is measured for the warning. The probe runs once per process and device.
/// </summary>
public static class PrecisionProbe
{
    public static readonly string[] Names = ["auto", "float32", "bfloat16"];

    /// <summary>bfloat16 must beat float32 by this factor for "auto" to pick it (timing noise is not a win).</summary>
    public const double MinSpeedup = 1.1;

    static readonly Dictionary<string, (double Fp32, double Bf16)> Probes = new();
    static readonly HashSet<string> Warned = new();
    static readonly object Gate = new();

    /// <summary>The decision rule, separate from the timing so that it can be checked with given numbers.</summary>
    public static string Decide(bool nativeBf16, double float32Ms, double bfloat16Ms) =>
        nativeBf16 && bfloat16Ms * MinSpeedup <= float32Ms ? "bfloat16" : "float32";

    /// <summary>Whether bfloat16 is native on <paramref name="device"/>: the CPU's flags; CUDA devices count as native
    /// (the probe still decides).</summary>
    public static bool IsNative(Device device) => device.type != TorchSharp.DeviceType.CPU || CpuFeatures.HasNativeBf16;

    /// <summary>
    /// Resolves <paramref name="requested"/> on <paramref name="device"/>. <paramref name="log"/> receives the choice for
    /// "auto" and, once per process, the warning for an explicit bfloat16 that is emulated here.
    /// </summary>
    public static PrecisionChoice Resolve(string requested, Device device, Action<string>? log = null)
    {
        if (!Names.Contains(requested)) throw new HrmException($"forward_dtype must be one of {string.Join(", ", Names)}, not '{requested}'");
        bool native = IsNative(device);
        if (requested == "float32") return new PrecisionChoice(requested, "float32", native, null, null);
        if (requested == "bfloat16" && native) return new PrecisionChoice(requested, "bfloat16", native, null, null);
        var (f, b) = Measure(device);
        var choice = new PrecisionChoice(requested, requested == "auto" ? Decide(native, f, b) : requested, native, f, b);
        if (requested == "auto") log?.Invoke(choice.Describe());
        else if (choice.Warning is string w)
            lock (Gate)
                if (Warned.Add(device.ToString())) log?.Invoke(w);
        return choice;
    }

    /// <summary>Best-of-a-few times (ms) of a 128 x 256 by 256 x 512 matmul (the shape of a hidden-256 SwiGLU
    /// projection over 128 tokens) in float32 and in bfloat16; cached per device. At most about 0.1 s per dtype, emulated
    /// bfloat16 included (a slow dtype stops after its first samples).</summary>
    public static (double Float32Ms, double BFloat16Ms) Measure(Device device)
    {
        var key = device.ToString();
        lock (Gate)
        {
            if (Probes.TryGetValue(key, out var cached)) return cached;
            using var _ = no_grad();
            using var scope = NewDisposeScope();
            var gen = new TorchSharp.torch.Generator(0);
            var a = randn([128, 256], generator: gen).to(device);
            var w = randn([256, 512], generator: gen).to(device);
            double Time(ScalarType dt)
            {
                var x = a.to(dt);
                var y = w.to(dt);
                double best = double.MaxValue;
                var total = Stopwatch.StartNew();
                for (int i = 0; i < 6; i++)
                {
                    var sw = Stopwatch.StartNew();
                    x.mm(y).sum().to(ScalarType.Float32).item<float>();   // item synchronises (CUDA)
                    if (i > 0 || total.Elapsed.TotalMilliseconds > 50) best = Math.Min(best, sw.Elapsed.TotalMilliseconds);   // the first is a warm-up unless slow
                    if (total.Elapsed.TotalMilliseconds > 100 && best < double.MaxValue) break;
                }
                return best;
            }
            var result = (Time(ScalarType.Float32), Time(ScalarType.BFloat16));
            Probes[key] = result;
            return result;
        }
    }
}
