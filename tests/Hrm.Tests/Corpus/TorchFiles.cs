using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Hrm.Tests.Corpus;

/// <summary>Writes pickle opcodes one by one, to build PyTorch .pt files as torch.save lays them out (and broken ones).</summary>
public sealed class PickleBuilder
{
    readonly MemoryStream ms = new();

    public PickleBuilder Op(byte op) { ms.WriteByte(op); return this; }
    public PickleBuilder Raw(params byte[] bytes) { ms.Write(bytes); return this; }
    public PickleBuilder Proto(int v = 2) => Op(0x80).Op((byte)v);
    public PickleBuilder Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    public PickleBuilder Unicode(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        return Op((byte)'X').Raw(BitConverter.GetBytes((uint)b.Length)).Raw(b);
    }
    public PickleBuilder Int(long v)
    {
        if (v is >= 0 and < 256) return Op((byte)'K').Op((byte)v);
        if (v is >= 0 and < 65536) return Op((byte)'M').Raw(BitConverter.GetBytes((ushort)v));
        if (v is >= int.MinValue and <= int.MaxValue) return Op((byte)'J').Raw(BitConverter.GetBytes((int)v));
        return Op(0x8a).Op(8).Raw(BitConverter.GetBytes(v));
    }
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Ints(IEnumerable<long> values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder Stop() => Op((byte)'.');

    /// <summary>One state-dict entry: name, then torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(PtTensor t, string rebuild = "_rebuild_tensor_v2")
    {
        Unicode(t.Name).Global("torch._utils", rebuild).Mark();
        Mark().Unicode("storage").Global("torch", t.Storage).Unicode(t.Key).Unicode("cpu").Int(t.Numel).Tuple().Op((byte)'Q');
        Int(t.Offset).Ints(t.Size).Ints(t.Stride).Op(0x89).Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public byte[] ToArray() => ms.ToArray();
}

/// <summary>A tensor of a .pt file: its storage (type, key in the archive, element count, bytes) and its view of it.</summary>
public sealed record PtTensor(string Name, string Storage, string Key, long Numel, long Offset, long[] Size, long[] Stride, byte[] Data);

/// <summary>Builders for PyTorch zip checkpoints and safetensors files of the tiny model, valid or broken on purpose.</summary>
public static class TorchFiles
{
    static long[] Contiguous(long[] shape)
    {
        var stride = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { stride[i] = s; s *= shape[i]; }
        return stride;
    }

    /// <summary>The tiny model's tensors as torch.save writes them: one FloatStorage each, keys "0", "1", ...</summary>
    public static List<PtTensor> TinyPtTensors() =>
        Samples.TinyStateDict().Select((kv, i) => new PtTensor(kv.Key, "FloatStorage", i.ToString(), kv.Value.numel(), 0, kv.Value.shape,
            Contiguous(kv.Value.shape), kv.Value.bytes.ToArray())).ToList();

    /// <summary>The data.pkl of a state dict: {name: tensor, ...} with protocol 2, as torch.save writes it.</summary>
    public static byte[] StateDictPickle(IEnumerable<PtTensor> tensors, Action<PickleBuilder>? extraItems = null)
    {
        var p = new PickleBuilder().Proto().EmptyDict().Mark();
        foreach (var t in tensors) p.Tensor(t);
        extraItems?.Invoke(p);
        return p.SetItems().Stop().ToArray();
    }

    /// <summary>A zip in torch's layout: PREFIX/data.pkl, PREFIX/data/KEY per storage, PREFIX/version; entries stored.</summary>
    public static byte[] PtZip(byte[]? pickle, IEnumerable<(string Key, byte[] Data)> storages, string prefix = "archive")
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry($"{prefix}/{name}", CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            if (pickle is not null) Add("data.pkl", pickle);
            foreach (var (key, data) in storages) Add($"data/{key}", data);
            Add("version", Encoding.ASCII.GetBytes("3\n"));
        }
        return ms.ToArray();
    }

    public static byte[] Pt(List<PtTensor> tensors, Action<PickleBuilder>? extraItems = null) =>
        PtZip(StateDictPickle(tensors, extraItems), tensors.GroupBy(t => t.Key).Select(g => (g.Key, g.First().Data)));

    /// <summary>A safetensors entry: name, dtype, shape and [begin, end) in the data region.</summary>
    public sealed record StEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

    public static (List<StEntry> Entries, byte[] Data) TinySafetensors()
    {
        var entries = new List<StEntry>();
        var data = new MemoryStream();
        foreach (var (name, t) in Samples.TinyStateDict())
        {
            var bytes = t.bytes.ToArray();
            entries.Add(new StEntry(name, "F32", t.shape, data.Length, data.Length + bytes.Length));
            data.Write(bytes);
        }
        return (entries, data.ToArray());
    }

    public static string StHeader(IEnumerable<StEntry> entries, string? extra = null)
    {
        var parts = entries.Select(e => $"{JsonSerializer.Serialize(e.Name)}: {{\"dtype\": {JsonSerializer.Serialize(e.Dtype)}, \"shape\": [{string.Join(", ", e.Shape)}], \"data_offsets\": [{e.Begin}, {e.End}]}}");
        if (extra is not null) parts = parts.Prepend(extra);
        return "{" + string.Join(", ", parts) + "}";
    }
}
