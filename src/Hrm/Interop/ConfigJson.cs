using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hrm.Model;

namespace Hrm.Interop;

/// <summary>
/// Reads and writes <see cref="HrmConfig"/> as JSON with the reference's field names (the format of the parity
/// fixtures' config.json and of the reference's arch config). Unknown keys are errors naming the key; the fixtures'
/// documentation sections ("derived", "fixture") and the reference's "name"/"causal" are ignored.
/// </summary>
public static class ConfigJson
{
    static readonly HashSet<string> Ignored = ["derived", "fixture", "name", "causal"];

    static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    public static HrmConfig Load(string path)
    {
        if (!File.Exists(path)) throw new HrmException($"{path}: config file not found");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Parses a config file's text into a JSON object, refusing what System.Text.Json would let through silently or
    /// crash on: a key given twice (which value would win?) and anything but an object at the top.
    /// </summary>
    internal static JsonObject ParseObject(string json, string source, bool allowComments = false)
    {
        var options = new JsonDocumentOptions
        {
            CommentHandling = allowComments ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = allowComments,
        };
        try
        {
            using (var doc = JsonDocument.Parse(json, options))
                if (FirstDuplicateKey(doc.RootElement) is string key) throw new HrmException($"{source}: key '{key}' appears twice");
            return JsonNode.Parse(json, documentOptions: options) as JsonObject ?? throw new HrmException($"{source}: config must be a JSON object");
        }
        catch (JsonException e) { throw new HrmException($"{source}: invalid JSON: {e.Message.Split('\n')[0]}"); }
    }

    static string? FirstDuplicateKey(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Array)
            return e.EnumerateArray().Select(FirstDuplicateKey).FirstOrDefault(k => k is not null);
        if (e.ValueKind != JsonValueKind.Object) return null;
        var seen = new HashSet<string>();
        foreach (var p in e.EnumerateObject())
        {
            if (!seen.Add(p.Name)) return p.Name;
            if (FirstDuplicateKey(p.Value) is string inner) return $"{p.Name}.{inner}";
        }
        return null;
    }

    public static HrmConfig Parse(string json, string source)
    {
        var obj = ParseObject(json, source);

        var loss = LossType.StablemaxCrossEntropy;
        foreach (var key in obj.Select(kv => kv.Key).ToList())
        {
            if (Ignored.Contains(key)) obj.Remove(key);
            else if (key == "loss")
            {
                loss = ParseLoss(obj[key], source);
                obj.Remove(key);
            }
        }
        if (obj.ContainsKey("loss_type"))
        {
            loss = ParseLossName(obj["loss_type"], source);
            obj.Remove("loss_type");
        }
        HrmConfig config;
        try
        {
            config = obj.Deserialize<HrmConfig>(Options) ?? throw new HrmException($"{source}: empty config");
        }
        catch (JsonException e)
        {
            throw new HrmException($"{source}: {Describe(e)}");
        }
        config = config with { Loss = loss };
        try { return config.Validate(); }
        catch (HrmException e) { throw new HrmException($"{source}: {e.Message}"); }
    }

    static LossType ParseLoss(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new HrmException($"{source}: 'loss' must be an object with 'loss_type'");
        foreach (var (k, _) in o)
            if (k is not ("name" or "loss_type")) throw new HrmException($"{source}: unknown key 'loss.{k}'");
        // The reference names its loss head class here; this implementation has that one head and no other.
        if (o.ContainsKey("name") && Text(o["name"]) != LossHeadName)
            throw new HrmException($"{source}: loss.name must be {LossHeadName}, not {o["name"]?.ToJsonString() ?? "null"}");
        return o.ContainsKey("loss_type") ? ParseLossName(o["loss_type"], source) : LossType.StablemaxCrossEntropy;
    }

    const string LossHeadName = "losses@ACTLossHead";

    static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static LossType ParseLossName(JsonNode? node, string source) => Text(node) switch
    {
        "stablemax_cross_entropy" => LossType.StablemaxCrossEntropy,
        "softmax_cross_entropy" => LossType.SoftmaxCrossEntropy,
        _ => throw new HrmException($"{source}: loss_type must be stablemax_cross_entropy or softmax_cross_entropy, not {node?.ToJsonString() ?? "null"}"),
    };

    static string Describe(JsonException e)
    {
        var m = e.Message;
        var path = e.Path is { Length: > 2 } p ? p[2..] : null;
        if (m.Contains("could not be mapped")) return $"unknown config key '{path}'";
        return path is null ? m : $"bad value for '{path}': {m.Split('.')[0]}";
    }

    public static string ToJson(HrmConfig config)
    {
        var node = JsonSerializer.SerializeToNode(config, Options)!.AsObject();
        node.Remove("loss_type");
        node["loss"] = new JsonObject
        {
            ["name"] = LossHeadName,
            ["loss_type"] = config.Loss == LossType.StablemaxCrossEntropy ? "stablemax_cross_entropy" : "softmax_cross_entropy",
        };
        return node.ToJsonString(Options);
    }

    public static void Save(string path, HrmConfig config)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson(config));
        File.Move(tmp, path, overwrite: true);
    }
}
