using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Hrm.Model;

namespace Hrm.Interop;

/// <summary>
/// Reads and writes model configs as JSON with the reference's field names (the format of the parity fixtures'
/// config.json and of the reference's arch config). "name" picks the architecture (<see cref="Architecture.FromName"/>;
/// missing means HRM) and with it the config record. Unknown keys are errors naming the key; the fixtures'
/// documentation sections ("derived", "fixture") and the reference's "causal" are ignored.
/// </summary>
public static class ConfigJson
{
    static readonly HashSet<string> Ignored = ["derived", "fixture", "causal"];

    static readonly JsonSerializerOptions Options = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static ModelConfig Load(string path)
    {
        if (!File.Exists(path)) throw new HrmException("config file not found") { File = path };
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

    /// <param name="keyPrefix">How the model config's keys are named in messages: "" for a model config file, "arch." for
    /// the arch section of a training config.</param>
    /// <param name="datasetKnown">False for a training config's arch section before its dataset is read: the
    /// dataset-derived keys and the rules that involve them are checked later (<see cref="ModelConfig.Validate(bool)"/>).</param>
    public static ModelConfig Parse(string json, string source, string keyPrefix = "", bool datasetKnown = true)
    {
        var obj = ParseObject(json, source);

        Architecture arch;
        try
        {
            var nameNode = obj["name"];
            if (nameNode is not null && nameNode.GetValueKind() != JsonValueKind.String)
                throw new HrmException("'name' must be a string such as hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1");
            arch = Architecture.FromName(nameNode?.GetValue<string>());
        }
        catch (HrmException e) { throw e.At(source); }
        obj.Remove("name");

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

        HrmException Unknown(string key)
        {
            var allowed = ConfigReader.Fields(arch.ConfigType).Where(f => f.Value.GetCustomAttribute<ConfigKeyAttribute>() is not { FromDataset: true })
                .Select(f => f.Key).Where(k => k != "loss_type").Append("name").Append("loss").ToList();
            return new HrmException($"unknown config key '{keyPrefix}{key}' for architecture {arch.Name}{ConfigKeyAttribute.Suggest(key, allowed)}; " +
                $"section arch allows: {string.Join(", ", allowed)}") { Key = keyPrefix + key };
        }
        var config = (ModelConfig)ConfigReader.Read(obj, arch.ConfigType, source, Options, keyPrefix, Unknown) with { Loss = loss };
        try { return config.Validate(datasetKnown); }
        catch (HrmException e) { throw e.At(source); }
    }

    static LossType ParseLoss(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new HrmException("'loss' must be an object with 'loss_type'") { File = source, Key = "loss" };
        foreach (var (k, v) in o)
        {
            if (k is not ("name" or "loss_type")) throw new HrmException($"unknown key 'loss.{k}'") { File = source, Key = $"loss.{k}" };
            if (k == "name" && (v?.GetValueKind() != JsonValueKind.String || v.GetValue<string>() != LossHead))
                throw new HrmException($"loss.name must be {LossHead}, not {v?.ToJsonString() ?? "null"}") { File = source, Key = "loss.name" };
        }
        return o["loss_type"] is JsonNode t ? ParseLossName(t, source) : LossType.StablemaxCrossEntropy;
    }

    /// <summary>The reference's loss head, the one "loss.name" there is.</summary>
    const string LossHead = "losses@ACTLossHead";

    static LossType ParseLossName(JsonNode? node, string source)
    {
        var name = node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString();
        return SnakeCase.TryParse<LossType>(name, out var loss) ? loss
            : throw new HrmException($"loss_type must be {SnakeCase.Names(typeof(LossType))}, not '{name}'") { File = source, Key = "loss_type" };
    }

    public static string ToJson(ModelConfig config)
    {
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), Options)!.AsObject();
        node.Remove("loss_type");
        var result = new JsonObject { ["name"] = config.Architecture.ReferenceName };
        foreach (var (k, v) in node.ToList()) { node.Remove(k); result[k] = v; }
        result["loss"] = new JsonObject
        {
            ["name"] = LossHead,
            ["loss_type"] = SnakeCase.Name(config.Loss),
        };
        return result.ToJsonString(Options);
    }

    public static void Save(string path, ModelConfig config)
    {
        AtomicFile.WriteAllText(path, ToJson(config), flushToDisk: true);
    }
}
