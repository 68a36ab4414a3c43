using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Hrm;

/// <summary>Names of closed sets in config files: an enum member's snake_case name (StablemaxCrossEntropy:
/// stablemax_cross_entropy, Skip: skip), the one mapping between the two.</summary>
public static class SnakeCase
{
    public static string Name(string member) => JsonNamingPolicy.SnakeCaseLower.ConvertName(member);
    public static string Name<T>(T value) where T : struct, Enum => Name(value.ToString());

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        foreach (var v in Enum.GetValues<T>())
            if (Name(v) == text) { value = v; return true; }
        value = default;
        return false;
    }

    /// <summary>"a, b or c": the names of an enum's members, for messages.</summary>
    public static string Names(Type enumType)
    {
        var names = Enum.GetNames(enumType).Select(Name).ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }
}

/// <summary>Reads and writes an enum as its members' snake_case names (<see cref="SnakeCase"/>); numbers are refused.</summary>
public sealed class SnakeCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false)
    where T : struct, Enum;

/// <summary>
/// The one reader of config records (the training config and each architecture's model config): the JSON fields of a
/// record type, a clear error for an unknown key or a value of the wrong kind, deserialisation, and the range check of
/// every [ConfigKey] property from its attribute (<see cref="ConfigKeyAttribute.Min"/>, <see cref="ConfigKeyAttribute.Max"/>,
/// an enum's names). Rules that relate keys to each other stay in each record's Validate.
/// </summary>
public static class ConfigReader
{
    static readonly ConcurrentDictionary<Type, IReadOnlyDictionary<string, PropertyInfo>> FieldCache = new();
    static readonly ConcurrentDictionary<Type, IReadOnlyList<(string Name, PropertyInfo Prop, ConfigKeyAttribute Attr)>> KeyCache = new();

    /// <summary>The JSON fields of a config record: its serialised properties by JSON name.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Fields(Type type) => FieldCache.GetOrAdd(type, t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetCustomAttribute<JsonIgnoreAttribute>() is null && p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
        .ToDictionary(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name));

    /// <summary>The [ConfigKey] properties of a config record, base record's first, each in declaration order.</summary>
    public static IReadOnlyList<(string Name, PropertyInfo Prop, ConfigKeyAttribute Attr)> Keys(Type type) => KeyCache.GetOrAdd(type, t => t
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.GetCustomAttribute<ConfigKeyAttribute>() is not null && p.GetCustomAttribute<JsonPropertyNameAttribute>() is not null)
        .OrderBy(p => p.DeclaringType == t ? 1 : 0).ThenBy(p => p.MetadataToken)
        .Select(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()!.Name, p, p.GetCustomAttribute<ConfigKeyAttribute>()!))
        .ToList());

    /// <summary>Reads <paramref name="obj"/> as a <paramref name="type"/> record. Every key must be a field of it
    /// (<paramref name="unknownKey"/> words the error for one that is not) with a value of the field's kind; the ranges
    /// are checked by the record's Validate (<see cref="CheckRanges"/>).</summary>
    /// <param name="keyPrefix">How the record's keys are named in messages: "" or "arch." for a training config's model.</param>
    public static object Read(JsonObject obj, Type type, string source, JsonSerializerOptions options, string keyPrefix, Func<string, HrmException> unknownKey)
    {
        var fields = Fields(type);
        foreach (var (key, value) in obj)
        {
            if (!fields.TryGetValue(key, out var prop)) throw unknownKey(key).At(source);
            CheckKind(keyPrefix + key, value, prop.PropertyType, source);
        }
        try
        {
            return obj.Deserialize(type, options) ?? throw new HrmException("empty config") { File = source };
        }
        catch (JsonException e)
        {
            // System.Text.Json names the failing member by its JSON path ("$.lr").
            var key = keyPrefix + (e.Path is { Length: > 2 } p ? p[2..] : "?");
            throw new HrmException($"bad value for '{key}'") { File = source, Key = key };
        }
    }

    /// <summary>Checks every [ConfigKey] property of <paramref name="config"/> against its attribute's range; throws
    /// naming the first key out of range, the range and the value.</summary>
    /// <param name="skip">Keys not to check yet (a model config's dataset-derived keys before the dataset is read).</param>
    public static void CheckRanges(object config, string keyPrefix = "", Func<ConfigKeyAttribute, bool>? skip = null)
    {
        foreach (var (name, prop, attr) in Keys(config.GetType()))
        {
            if (skip?.Invoke(attr) == true) continue;
            var value = prop.GetValue(config);
            if (attr.InRange(value)) continue;
            var range = attr.RangeText(prop.PropertyType)!;
            var phrase = range[0] is '[' or '(' || char.IsDigit(range[0]) ? "in " + range : range;
            throw new HrmException($"{keyPrefix}{name} must be {phrase}, not {Format(value)}") { Key = keyPrefix + name };
        }
    }

    static string Format(object? v) => v switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    /// <summary>A clear error for a value of the wrong JSON kind, before the serializer gives a less readable one.</summary>
    static void CheckKind(string key, JsonNode? value, Type type, string source)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        if (t.IsEnum && kind == JsonValueKind.String && !Enum.GetNames(t).Select(SnakeCase.Name).Contains(value!.GetValue<string>()))
            throw new HrmException($"{key} must be {SnakeCase.Names(t)}, not '{value.GetValue<string>()}'") { File = source, Key = key };
        bool ok = kind switch
        {
            JsonValueKind.Null => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null,
            JsonValueKind.Number => t == typeof(int) || t == typeof(long) || t == typeof(double),
            JsonValueKind.String => t == typeof(string) || t.IsEnum
                || (t != typeof(bool) && t != typeof(JsonObject) && double.TryParse(value!.GetValue<string>(), CultureInfo.InvariantCulture, out _)),
            JsonValueKind.True or JsonValueKind.False => t == typeof(bool),
            JsonValueKind.Object => t == typeof(JsonObject),
            _ => false,
        };
        if (!ok)
        {
            string expected = t == typeof(bool) ? "true or false" : t == typeof(string) ? "a string" : t == typeof(double) ? "a number"
                : t == typeof(JsonObject) ? "an object" : t.IsEnum ? SnakeCase.Names(t) : "an integer";
            throw new HrmException($"bad value for '{key}': expected {expected}, got {value?.ToJsonString() ?? "null"}") { File = source, Key = key };
        }
        if (kind == JsonValueKind.Number && (t == typeof(int) || t == typeof(long)))
        {
            var d = value!.GetValue<double>();
            if (d != Math.Floor(d) || (t == typeof(int) && (d > int.MaxValue || d < int.MinValue)))
                throw new HrmException($"bad value for '{key}': expected an integer, got {value.ToJsonString()}") { File = source, Key = key };
        }
    }
}
