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

    /// <summary>The JSON field names of a config record (its serialised properties).</summary>
    static Dictionary<string, PropertyInfo> Fields(Type type) => type
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
        .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name);

    /// <param name="keyPrefix">How the model config's keys are named in messages: "" for a model config file, "arch." for
    /// the arch section of a training config.</param>
    public static ModelConfig Parse(string json, string source, string keyPrefix = "")
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
        catch (HrmException e) { throw new HrmException($"{source}: {e.Message}"); }
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

        var fields = Fields(arch.ConfigType);
        foreach (var (key, value) in obj)
        {
            if (!fields.TryGetValue(key, out var prop))
            {
                var allowed = fields.Where(f => f.Value.GetCustomAttribute<ConfigKeyAttribute>() is not { FromDataset: true }).Select(f => f.Key)
                    .Where(k => k != "loss_type").Append("name").Append("loss").ToList();
                throw new HrmException($"{source}: unknown config key '{keyPrefix}{key}' for architecture {arch.Name}{ConfigKeyAttribute.Suggest(key, allowed)}; " +
                    $"section arch allows: {string.Join(", ", allowed)}");
            }
            CheckKind(keyPrefix + key, value, prop.PropertyType, source);
        }

        ModelConfig config;
        try
        {
            config = (ModelConfig?)obj.Deserialize(arch.ConfigType, Options) ?? throw new HrmException($"{source}: empty config");
        }
        catch (JsonException e)
        {
            var path = e.Path is { Length: > 2 } p ? p[2..] : "?";
            throw new HrmException($"{source}: bad value for '{path}'");
        }
        config = config with { Loss = loss };
        try { return config.Validate(); }
        catch (HrmException e) { throw new HrmException($"{source}: {e.Message}"); }
    }

    /// <summary>A clear error for a value of the wrong JSON kind, before the serializer gives a less readable one.</summary>
    static void CheckKind(string key, JsonNode? value, Type type, string source)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        bool ok = kind switch
        {
            JsonValueKind.Null => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null,
            JsonValueKind.Number => t == typeof(int) || t == typeof(long) || t == typeof(double),
            JsonValueKind.String => t == typeof(string) || (t != typeof(bool) && double.TryParse(value!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _)),
            JsonValueKind.True or JsonValueKind.False => t == typeof(bool),
            _ => false,
        };
        if (!ok)
        {
            string expected = t == typeof(bool) ? "true or false" : t == typeof(string) ? "a string" : t == typeof(double) ? "a number" : "an integer";
            throw new HrmException($"{source}: bad value for '{key}': expected {expected}, got {value?.ToJsonString() ?? "null"}");
        }
        if (kind == JsonValueKind.Number && (t == typeof(int) || t == typeof(long)))
        {
            var d = value!.GetValue<double>();
            if (d != Math.Floor(d) || (t == typeof(int) && (d > int.MaxValue || d < int.MinValue)))
                throw new HrmException($"{source}: bad value for '{key}': expected an integer, got {value.ToJsonString()}");
        }
    }

    static LossType ParseLoss(JsonNode? node, string source)
    {
        if (node is not JsonObject o) throw new HrmException($"{source}: 'loss' must be an object with 'loss_type'");
        foreach (var (k, v) in o)
        {
            if (k is not ("name" or "loss_type")) throw new HrmException($"{source}: unknown key 'loss.{k}'");
            if (k == "name" && (v?.GetValueKind() != JsonValueKind.String || v.GetValue<string>() != "losses@ACTLossHead"))
                throw new HrmException($"{source}: loss.name must be losses@ACTLossHead, not {v?.ToJsonString() ?? "null"}");
        }
        return o["loss_type"] is JsonNode t ? ParseLossName(t, source) : LossType.StablemaxCrossEntropy;
    }

    static LossType ParseLossName(JsonNode? node, string source)
    {
        var name = node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString();
        return name switch
        {
            "stablemax_cross_entropy" => LossType.StablemaxCrossEntropy,
            "softmax_cross_entropy" => LossType.SoftmaxCrossEntropy,
            _ => throw new HrmException($"{source}: loss_type must be stablemax_cross_entropy or softmax_cross_entropy, not '{name}'"),
        };
    }

    public static string ToJson(ModelConfig config)
    {
        var node = JsonSerializer.SerializeToNode(config, config.GetType(), Options)!.AsObject();
        node.Remove("loss_type");
        var result = new JsonObject { ["name"] = config.Architecture.ReferenceName };
        foreach (var (k, v) in node.ToList()) { node.Remove(k); result[k] = v; }
        result["loss"] = new JsonObject
        {
            ["name"] = "losses@ACTLossHead",
            ["loss_type"] = config.Loss == LossType.StablemaxCrossEntropy ? "stablemax_cross_entropy" : "softmax_cross_entropy",
        };
        return result.ToJsonString(Options);
    }

    public static void Save(string path, ModelConfig config)
    {
        AtomicFile.WriteAllText(path, ToJson(config), flushToDisk: true);
    }
}
