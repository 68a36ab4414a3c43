using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Reads a safetensors file with every bound checked before anything is allocated (as the safetensors library does):
/// the header length against the file, each tensor's byte range against the data region and against its dtype and
/// shape, no two tensors overlapping, no byte left unclaimed, no name twice. Any violation is one HrmException line.
/// </summary>
static class SafetensorsReader
{
    // The safetensors library's own cap on the JSON header.
    const ulong MaxHeaderBytes = 100_000_000;

    static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    sealed record Entry(string Name, ScalarType Type, long[] Shape, long Begin, long End);

    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = File.OpenRead(path);
        long length = file.Length;
        if (length < 8) throw new HrmException($"too short for a safetensors file ({length} bytes)") { File = path };
        Span<byte> head = stackalloc byte[8];
        file.ReadExactly(head);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength > (ulong)(length - 8))
            throw new HrmException($"safetensors header length {headerLength} exceeds the file ({length} bytes): truncated, or not a safetensors file") { File = path };
        if (headerLength > MaxHeaderBytes) throw new HrmException($"safetensors header of {headerLength} bytes is larger than the format allows") { File = path };
        if (headerLength == 0) throw new HrmException("safetensors header is empty") { File = path };
        var header = new byte[headerLength];
        file.ReadExactly(header);
        long dataStart = 8 + (long)headerLength, dataLength = length - dataStart;
        var entries = ParseHeader(header, path, dataLength);

        var result = new Dictionary<string, Tensor>();
        foreach (var e in entries)
        {
            var bytes = new byte[e.End - e.Begin];
            file.Position = dataStart + e.Begin;
            file.ReadExactly(bytes);
            var t = empty(e.Shape, e.Type);
            t.bytes = bytes;
            result[e.Name] = t;
        }
        return result;
    }

    static List<Entry> ParseHeader(byte[] header, string path, long dataLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(header)) throw new HrmException("safetensors header is not valid JSON (not UTF-8 text)") { File = path };
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new HrmException($"safetensors header is not valid JSON: {e.Message.Split('\n')[0]}") { File = path }; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new HrmException("safetensors header must be a JSON object of name -> tensor") { File = path };
            var entries = new List<Entry>();
            var names = new HashSet<string>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    if (p.Value.ValueKind != JsonValueKind.Object || p.Value.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
                        throw new HrmException("safetensors __metadata__ must map strings to strings") { File = path };
                    continue;
                }
                var where = $"{path}: tensor '{p.Name}'";
                if (!names.Add(p.Name)) throw new HrmException($"{where} appears twice in the safetensors header");
                if (p.Value.ValueKind != JsonValueKind.Object) throw new HrmException($"{where} must be an object with dtype, shape and data_offsets");
                foreach (var key in p.Value.EnumerateObject())
                    if (key.Name is not ("dtype" or "shape" or "data_offsets")) throw new HrmException($"{where}: unknown key '{key.Name}'");
                JsonElement Field(string name) => p.Value.TryGetProperty(name, out var v) ? v : throw new HrmException($"{where}: missing '{name}'");
                var dtype = Field("dtype");
                if (dtype.ValueKind != JsonValueKind.String) throw new HrmException($"{where}: 'dtype' must be a string, found {dtype.GetRawText()}");
                if (!Dtypes.TryGetValue(dtype.GetString()!, out var type)) throw new HrmException($"{where}: unsupported dtype '{dtype.GetString()}'");
                var shape = Longs(Field("shape"));
                if (shape is null) throw new HrmException($"{where}: 'shape' must be a list of non-negative integers");
                var offsets = Longs(Field("data_offsets"));
                if (offsets is not { Length: 2 } || offsets[0] > offsets[1]) throw new HrmException($"{where}: 'data_offsets' must be [begin, end] with begin <= end");
                var (begin, end) = (offsets[0], offsets[1]);
                if (end > dataLength) throw new HrmException($"{where}: bytes [{begin}, {end}) lie beyond the data region ({dataLength} bytes): truncated file?");
                long need;
                try { need = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * type.Size); }
                catch (OverflowException) { throw new HrmException($"{where}: shape [{string.Join(", ", shape)}] is too large"); }
                if (need != end - begin)
                    throw new HrmException($"{where} holds {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {dtype.GetString()} needs {need}");
                entries.Add(new Entry(p.Name, type.Type, shape, begin, end));
            }
            // The format requires the tensors to tile the data region exactly: no overlaps (two names, one set of
            // bytes) and no holes (bytes that belong to nothing, a sign of a damaged or hand-edited file).
            long covered = 0;
            Entry? previous = null;
            foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
            {
                if (e.Begin < covered) throw new HrmException($"tensor '{e.Name}' overlaps tensor '{previous!.Name}' in the data region") { File = path };
                if (e.Begin > covered) throw new HrmException($"bytes [{covered}, {e.Begin}) of the data region are not covered by any tensor") { File = path };
                covered = e.End;
                previous = e;
            }
            if (covered != dataLength) throw new HrmException($"bytes [{covered}, {dataLength}) of the data region are not covered by any tensor") { File = path };
            return entries;
        }
    }

    static long[]? Longs(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array) return null;
        var r = new long[e.GetArrayLength()];
        int i = 0;
        foreach (var v in e.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out var x) || x < 0) return null;
            r[i++] = x;
        }
        return r;
    }
}
