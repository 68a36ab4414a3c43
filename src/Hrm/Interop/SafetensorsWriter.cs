using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Writes a safetensors file to a stream (so that it goes through <see cref="AtomicFile"/>, the one write seam): an
/// 8-byte little-endian header length, the JSON header (name -> dtype, shape, data_offsets; padded with spaces to a
/// multiple of 8, as the safetensors library does), then each tensor's bytes in order. Tensors must be contiguous and
/// on the CPU.
/// </summary>
static class SafetensorsWriter
{
    static string Dtype(ScalarType type) => type switch
    {
        ScalarType.Float64 => "F64", ScalarType.Float32 => "F32", ScalarType.Float16 => "F16", ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64", ScalarType.Int32 => "I32", ScalarType.Int16 => "I16", ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8", ScalarType.Bool => "BOOL",
        _ => throw new HrmException($"a tensor of dtype {type} cannot be written to a safetensors file"),
    };

    public static void Write(Stream stream, IReadOnlyDictionary<string, Tensor> tensors)
    {
        var header = new MemoryStream();
        long offset = 0;
        using (var json = new Utf8JsonWriter(header))
        {
            json.WriteStartObject();
            foreach (var (name, t) in tensors)
            {
                long bytes = t.numel() * t.ElementSize;
                json.WriteStartObject(name);
                json.WriteString("dtype", Dtype(t.dtype));
                json.WriteStartArray("shape");
                foreach (var d in t.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        int pad = (int)((8 - header.Length % 8) % 8);
        for (int i = 0; i < pad; i++) header.WriteByte((byte)' ');
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header.GetBuffer().AsSpan(0, (int)header.Length));
        foreach (var t in tensors.Values)
            if (t.numel() > 0) stream.Write(t.bytes);
    }
}
