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

    public static HrmConfig Parse(string json, string source)
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(json) as JsonObject ?? throw new HrmException($"{source}: config must be a JSON object");
        }
        catch (JsonException e) { throw new HrmException($"{source}: invalid JSON: {e.Message}"); }

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
            loss = ParseLossName(obj["loss_type"]?.GetValue<string>(), source);
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
        return o["loss_type"] is JsonNode t ? ParseLossName(t.GetValue<string>(), source) : LossType.StablemaxCrossEntropy;
    }

    static LossType ParseLossName(string? name, string source) => name switch
    {
        "stablemax_cross_entropy" => LossType.StablemaxCrossEntropy,
        "softmax_cross_entropy" => LossType.SoftmaxCrossEntropy,
        _ => throw new HrmException($"{source}: loss_type must be stablemax_cross_entropy or softmax_cross_entropy, not '{name}'"),
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
            ["name"] = "losses@ACTLossHead",
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
