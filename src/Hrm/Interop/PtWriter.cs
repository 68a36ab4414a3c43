using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Writes a state dict as <c>torch.save</c> does (PyTorch's zip format, protocol-2 pickle), so that the authors'
/// <c>torch.load</c> + <c>load_state_dict</c> read it, also with <c>weights_only=True</c>: data.pkl holds one
/// <c>collections.OrderedDict</c> of name -> <c>torch._utils._rebuild_tensor_v2</c>(storage, 0, shape, stride, False,
/// OrderedDict()), and names no other global than those and the <c>torch.*Storage</c> types; every tensor has its own
/// storage under data/N. Entries are stored uncompressed and 64-byte aligned (as PyTorch writes them, so they can be
/// memory-mapped), in insertion order, with fixed timestamps: the same tensors always give the same bytes.
/// </summary>
public static class PtWriter
{
    const int Alignment = 64;

    /// <summary>The file's bytes. <paramref name="archiveName"/> is the zip's top folder (PyTorch uses the file name).</summary>
    public static byte[] Write(IEnumerable<KeyValuePair<string, Tensor>> stateDict, string archiveName)
    {
        if (string.IsNullOrEmpty(archiveName) || archiveName.Contains('/')) archiveName = "archive";
        var tensors = stateDict.Select(kv => (kv.Key, Tensor: kv.Value.detach().cpu().contiguous())).ToList();
        var pickle = new MemoryStream();
        Pickle(pickle, tensors);

        var zip = new ZipStore();
        zip.Add($"{archiveName}/data.pkl", pickle.ToArray());
        zip.Add($"{archiveName}/byteorder", "little"u8.ToArray());
        for (int i = 0; i < tensors.Count; i++) zip.Add($"{archiveName}/data/{i}", tensors[i].Tensor.bytes.ToArray());
        zip.Add($"{archiveName}/version", "3\n"u8.ToArray());
        return zip.Finish();
    }

    static string StorageName(ScalarType type) =>
        PtReader.StorageTypes.Values.FirstOrDefault(s => s.Type == type)?.Name
        ?? throw new HrmException($"a tensor of dtype {type} cannot be written to a PyTorch file");

    // ---- the pickle (protocol 2, no memo: every object is written where it is used) ----

    static void Pickle(Stream s, List<(string Name, Tensor Tensor)> tensors)
    {
        s.Write([0x80, 2]);                                   // PROTO 2
        Global(s, "collections", "OrderedDict");
        s.WriteByte((byte)')'); s.WriteByte((byte)'R');        // OrderedDict()
        if (tensors.Count > 0)
        {
            s.WriteByte((byte)'(');                           // MARK
            for (int i = 0; i < tensors.Count; i++)
            {
                var (name, t) = tensors[i];
                Unicode(s, name);
                Global(s, "torch._utils", "_rebuild_tensor_v2");
                s.WriteByte((byte)'(');                       // MARK: the arguments
                s.WriteByte((byte)'(');                       // MARK: the persistent id
                Unicode(s, "storage");
                Global(s, "torch", StorageName(t.dtype));
                Unicode(s, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Unicode(s, "cpu");
                Int(s, t.numel());
                s.WriteByte((byte)'t');                       // TUPLE
                s.WriteByte((byte)'Q');                       // BINPERSID
                Int(s, 0);                                    // storage offset
                Tuple(s, t.shape);
                Tuple(s, t.stride());
                s.WriteByte(0x89);                            // requires_grad False
                Global(s, "collections", "OrderedDict");      // backward hooks: OrderedDict()
                s.WriteByte((byte)')'); s.WriteByte((byte)'R');
                s.WriteByte((byte)'t');                       // TUPLE (the arguments)
                s.WriteByte((byte)'R');                       // REDUCE
            }
            s.WriteByte((byte)'u');                           // SETITEMS
        }
        s.WriteByte((byte)'.');                               // STOP
    }

    static void Global(Stream s, string module, string name)
    {
        s.WriteByte((byte)'c');
        s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    static void Unicode(Stream s, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        s.WriteByte((byte)'X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(n, (uint)bytes.Length);
        s.Write(n);
        s.Write(bytes);
    }

    static void Int(Stream s, long v)
    {
        Span<byte> b = stackalloc byte[8];
        if (v is >= 0 and < 256) { s.WriteByte((byte)'K'); s.WriteByte((byte)v); }
        else if (v is >= 0 and < 65536) { s.WriteByte((byte)'M'); BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); s.Write(b[..2]); }
        else if (v is >= int.MinValue and <= int.MaxValue) { s.WriteByte((byte)'J'); BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); s.Write(b[..4]); }
        else { s.WriteByte(0x8a); s.WriteByte(8); BinaryPrimitives.WriteInt64LittleEndian(b, v); s.Write(b); }   // LONG1
    }

    static void Tuple(Stream s, long[] items)
    {
        if (items.Length == 0) { s.WriteByte((byte)')'); return; }
        if (items.Length > 3) s.WriteByte((byte)'(');
        foreach (var x in items) Int(s, x);
        s.WriteByte(items.Length switch { 1 => 0x85, 2 => 0x86, 3 => 0x87, _ => (byte)'t' });
    }

    // ---- the zip (stored entries, data aligned by an extra field as PyTorch's writer pads) ----

    sealed class ZipStore
    {
        readonly MemoryStream file = new();
        readonly List<(byte[] Name, uint Crc, uint Size, uint Offset)> entries = new();
        const ushort DosTime = 0, DosDate = (1 << 5) | 1;     // 1980-01-01 00:00: fixed, so output is reproducible

        public void Add(string name, byte[] data)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            long offset = file.Position;
            long dataStart = offset + 30 + nameBytes.Length;
            int pad = (int)((Alignment - dataStart % Alignment) % Alignment);
            if (pad is > 0 and < 4) pad += Alignment;         // an extra field needs 4 bytes of header
            if (offset + 30 + nameBytes.Length + pad + data.LongLength > uint.MaxValue)
                throw new HrmException("the state dict is larger than 4 GiB, more than this writer's plain zip can hold: save it as safetensors");
            uint crc = Crc32(data);
            var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            w.Write(0x04034b50u); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)0);   // signature, version, flags, stored
            w.Write(DosTime); w.Write(DosDate); w.Write(crc); w.Write((uint)data.Length); w.Write((uint)data.Length);
            w.Write((ushort)nameBytes.Length); w.Write((ushort)pad);
            w.Write(nameBytes);
            if (pad > 0)
            {
                w.Write((ushort)0x4246); w.Write((ushort)(pad - 4));                               // "FB" padding field
                for (int i = 0; i < pad - 4; i++) w.Write((byte)'Z');
            }
            w.Write(data);
            w.Flush();
            entries.Add((nameBytes, crc, (uint)data.Length, (uint)offset));
        }

        public byte[] Finish()
        {
            var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            long cdStart = file.Position;
            foreach (var (name, crc, size, offset) in entries)
            {
                w.Write(0x02014b50u); w.Write((ushort)20); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)0);
                w.Write(DosTime); w.Write(DosDate); w.Write(crc); w.Write(size); w.Write(size);
                w.Write((ushort)name.Length); w.Write((ushort)0); w.Write((ushort)0);          // name, extra, comment lengths
                w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write(offset);          // disk, attributes, local header
                w.Write(name);
            }
            long cdSize = file.Position - cdStart;
            if (entries.Count > ushort.MaxValue || file.Position > uint.MaxValue)
                throw new HrmException("the state dict has too many tensors for this writer's plain zip: save it as safetensors");
            w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0);
            w.Write((ushort)entries.Count); w.Write((ushort)entries.Count); w.Write((uint)cdSize); w.Write((uint)cdStart); w.Write((ushort)0);
            w.Flush();
            return file.ToArray();
        }
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}
