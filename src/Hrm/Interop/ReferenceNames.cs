using Hrm.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Maps between our module's state-dict names ("inner.H_level.layers.0.self_attn.qkv_proj.weight") and the
/// reference's checkpoint names ("_orig_mod.model.inner...", the torch.compile'd ACTLossHead). Our layer names are the
/// reference's, so the mapping is a prefix; names without "_orig_mod." or without "_orig_mod.model." are accepted too.
/// </summary>
public static class ReferenceNames
{
    public const string Prefix = "_orig_mod.model.";
    static readonly string[] AcceptedPrefixes = ["_orig_mod.model.", "model.", "_orig_mod.", ""];

    public static string ToReference(string ourName) => Prefix + ourName;

    /// <summary>Our name for a checkpoint name, trying the accepted prefixes against the names the model expects.</summary>
    public static string? FromReference(string name, IReadOnlySet<string> expected)
    {
        foreach (var p in AcceptedPrefixes)
            if (name.StartsWith(p, StringComparison.Ordinal) && expected.Contains(name[p.Length..]))
                return name[p.Length..];
        return null;
    }

    /// <summary>The model's persistent state (parameters and buffers) under reference names.</summary>
    public static Dictionary<string, Tensor> Export(ActModel model) =>
        PersistentState(model).ToDictionary(kv => ToReference(kv.Key), kv => kv.Value);

    public static Dictionary<string, Tensor> PersistentState(ActModel model)
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (name, p) in model.named_parameters()) d[name] = p;
        foreach (var (name, b) in model.named_buffers(recurse: true, include_nonpersistent: false)) d[name] = b;
        return d;
    }

    /// <summary>
    /// Copies a checkpoint's tensors into the model. Every expected tensor must be present with the right shape and no
    /// unknown tensor may be left over; each violation is a clear error naming the tensor.
    /// </summary>
    public static void Import(ActModel model, IReadOnlyDictionary<string, Tensor> checkpoint, string source)
    {
        var ours = PersistentState(model);
        var expected = new HashSet<string>(ours.Keys);
        var seen = new HashSet<string>();
        using var _ = no_grad();
        foreach (var (name, t) in checkpoint)
        {
            var target = FromReference(name, expected)
                ?? throw new HrmException($"{source}: unexpected tensor '{name}' (not part of this model configuration)");
            var dst = ours[target];
            // Integer or bool data where the model holds floats is a sign of the wrong file, not a conversion to make.
            if (dst.is_floating_point() && !t.is_floating_point())
                throw new HrmException($"{source}: tensor '{name}' has dtype {t.dtype}, not a floating-point type as the model's {dst.dtype}");
            if (!dst.shape.SequenceEqual(t.shape))
                throw new HrmException($"{source}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], the model expects [{string.Join(", ", dst.shape)}] (check the config)");
            if (!seen.Add(target)) throw new HrmException($"{source}: tensor '{target}' appears twice");
            dst.copy_(t.to(dst.dtype, dst.device));
        }
        var missing = expected.Except(seen).OrderBy(s => s).ToList();
        if (missing.Count > 0)
            throw new HrmException($"{source}: missing tensor '{ToReference(missing[0])}'" + (missing.Count > 1 ? $" (and {missing.Count - 1} more)" : ""));
    }
}
