using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Hrm.Interop;

/// <summary>
/// Reads a PyTorch zip checkpoint (torch.save of a state dict) without running anything: data.pkl is interpreted by a
/// small pickle machine that knows only the opcodes a state dict uses and only the callables torch.save refers to
/// (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, the typed storages). Any other opcode or global, which in
/// Python would import modules and call functions, is refused. Every storage's size is checked against its zip
/// entry and every tensor view against its storage before a byte is copied.
/// </summary>
static class PtReader
{
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = File.OpenRead(path);
        ZipArchive zip;
        try { zip = new ZipArchive(file, ZipArchiveMode.Read); }
        catch (InvalidDataException e) { throw new HrmException($"not a readable PyTorch .pt (zip) checkpoint (truncated or corrupt?): {e.Message}") { File = path }; }
        using (zip)
        {
            var pickles = zip.Entries.Where(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
            if (pickles.Count != 1)
                throw new HrmException($"a PyTorch checkpoint holds one data.pkl, this zip has {pickles.Count}") { File = path };
            var prefix = pickles[0].FullName[..^"data.pkl".Length];
            var entries = zip.Entries.GroupBy(e => e.FullName).ToDictionary(g => g.Key, g => g.First());
            var storages = new Dictionary<string, Tensor>();
            Tensor Storage(StorageType type, string key, long numel)
            {
                if (storages.TryGetValue(key, out var cached))
                {
                    if (cached.dtype != type.Type || cached.numel() != numel) throw new HrmException($"storage '{key}' is used with two different types or sizes") { File = path };
                    return cached;
                }
                if (!entries.TryGetValue($"{prefix}data/{key}", out var entry)) throw new HrmException($"storage '{key}' is missing from the archive") { File = path };
                long need = numel < 0 || numel > long.MaxValue / type.Size ? -1 : numel * type.Size;
                if (entry.Length != need)
                    throw new HrmException($"storage '{key}' holds {entry.Length} bytes, but {type.Name} of {numel} elements needs {(need < 0 ? "more" : need.ToString())}") { File = path };
                var t = empty(numel, type.Type);
                t.bytes = ReadEntry(entry, path);
                storages[key] = t;
                return t;
            }
            var root = new Unpickler(ReadEntry(pickles[0], path), path, Storage).Load();
            if (root is not PyDict dict) throw new HrmException("the pickled object is not a dict of tensors (a state dict)") { File = path };
            var result = new Dictionary<string, Tensor>();
            foreach (var (k, v) in dict.Items)
            {
                if (k is not string name) throw new HrmException($"key {Unpickler.Describe(k)} of the state dict is not a string") { File = path };
                if (v is not Tensor t) throw new HrmException($"entry '{name}' is not a tensor") { File = path };
                if (!result.TryAdd(name, t)) throw new HrmException($"tensor '{name}' appears twice") { File = path };
            }
            return result;
        }
    }

    /// <summary>An entry's bytes; its declared size is bounded by what deflate can expand the stored bytes to.</summary>
    static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > Array.MaxLength || entry.Length > 1032L * Math.Max(entry.CompressedLength, 1) + 64)
            throw new HrmException($"zip entry {entry.FullName} claims an implausible size ({entry.Length} bytes)") { File = path };
        var bytes = new byte[entry.Length];
        try
        {
            using var s = entry.Open();
            s.ReadExactly(bytes);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
        {
            throw new HrmException($"zip entry {entry.FullName} is corrupt: {e.Message}") { File = path };
        }
        return bytes;
    }

    internal sealed record StorageType(string Name, ScalarType Type, int Size);
    sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }
    sealed class PyDict { public List<(object Key, object Value)> Items { get; } = new(); }
    sealed record PersistentStorage(Tensor Storage);
    sealed class Mark { public static readonly Mark Instance = new(); }
    sealed class None { public static readonly None Instance = new(); }

    internal static readonly Dictionary<string, StorageType> StorageTypes = new[]
    {
        new StorageType("DoubleStorage", ScalarType.Float64, 8), new StorageType("FloatStorage", ScalarType.Float32, 4),
        new StorageType("HalfStorage", ScalarType.Float16, 2), new StorageType("BFloat16Storage", ScalarType.BFloat16, 2),
        new StorageType("LongStorage", ScalarType.Int64, 8), new StorageType("IntStorage", ScalarType.Int32, 4),
        new StorageType("ShortStorage", ScalarType.Int16, 2), new StorageType("CharStorage", ScalarType.Int8, 1),
        new StorageType("ByteStorage", ScalarType.Byte, 1), new StorageType("BoolStorage", ScalarType.Bool, 1),
    }.ToDictionary(s => s.Name);

    /// <summary>The only callables a state dict's pickle may name (besides the torch.*Storage types); also what
    /// <see cref="PtWriter"/> writes, and what PyTorch's weights_only loader allows.</summary>
    internal static readonly HashSet<string> Callables = ["collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter"];

    // Opcodes of the pickle protocols that a state dict never needs; named so the error says what the file tried.
    static readonly Dictionary<byte, string> Refused = new()
    {
        [(byte)'i'] = "INST", [(byte)'o'] = "OBJ", [0x81] = "NEWOBJ", [0x92] = "NEWOBJ_EX", [0x82] = "EXT1", [0x83] = "EXT2", [0x84] = "EXT4",
        [(byte)'P'] = "PERSID", [(byte)'S'] = "STRING", [(byte)'T'] = "BINSTRING", [(byte)'U'] = "SHORT_BINSTRING", [(byte)'V'] = "UNICODE",
        [(byte)'I'] = "INT", [(byte)'L'] = "LONG", [(byte)'F'] = "FLOAT", [0x8b] = "LONG4", [(byte)'g'] = "GET", [(byte)'p'] = "PUT",
        [(byte)'l'] = "LIST", [(byte)'d'] = "DICT", [(byte)'0'] = "POP", [(byte)'1'] = "POP_MARK", [(byte)'2'] = "DUP",
        [0x8f] = "EMPTY_SET", [0x90] = "ADDITEMS", [0x91] = "FROZENSET", [(byte)'B'] = "BINBYTES", [(byte)'C'] = "SHORT_BINBYTES",
        [0x8e] = "BINBYTES8", [0x96] = "BYTEARRAY8", [0x97] = "NEXT_BUFFER", [0x98] = "READONLY_BUFFER",
    };

    sealed class Unpickler(byte[] data, string path, Func<StorageType, string, long, Tensor> storage)
    {
        int pos;
        readonly List<object> stack = new();
        readonly Stack<List<object>> marks = new();
        readonly Dictionary<long, object> memo = new();

        HrmException Error(string what) => new($"{path}: data.pkl: {what} (at byte {pos})");

        public static string Describe(object o) => o switch
        {
            string s => $"'{(s.Length > 60 ? s[..60] + "..." : s)}'",
            long l => l.ToString(),
            Global g => $"global {g}",
            _ => o.GetType().Name,
        };

        ReadOnlySpan<byte> Take(long n)
        {
            if (n < 0 || n > data.Length - pos) throw new HrmException("data.pkl: truncated pickle (a field runs past its end)") { File = path };
            var s = data.AsSpan(pos, (int)n);
            pos += (int)n;
            return s;
        }

        object Pop()
        {
            if (stack.Count == 0) throw Error("pickle stack underflow");
            var o = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return o;
        }

        object Top() => stack.Count > 0 ? stack[^1] : throw Error("pickle stack underflow");

        List<object> PopMark(string op)
        {
            if (marks.Count == 0) throw Error($"{op} without MARK");
            var items = new List<object>(stack);
            stack.Clear();
            stack.AddRange(marks.Pop());
            return items;
        }

        string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', pos, Math.Min(256, data.Length - pos));
            if (end < 0) throw new HrmException("data.pkl: truncated pickle (unterminated GLOBAL name)") { File = path };
            var s = Encoding.ASCII.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }

        object MakeGlobal(string module, string name)
        {
            var full = $"{module}.{name}";
            if (module == "torch" && name.EndsWith("Storage", StringComparison.Ordinal))
                return StorageTypes.TryGetValue(name, out var st) ? st : throw new HrmException($"unsupported storage type '{full}'") { File = path };
            if (Callables.Contains(full)) return new Global(module, name);
            throw new HrmException($"data.pkl: global '{full}' is not allowed: a .pt is only read for its tensors, never to run code") { File = path };
        }

        public object Load()
        {
            while (true)
            {
                if (pos >= data.Length) throw new HrmException("data.pkl: truncated pickle (no STOP opcode)") { File = path };
                byte op = data[pos++];
                switch (op)
                {
                    case 0x80: if (Take(1)[0] > 5) throw Error("unsupported pickle protocol"); break;
                    case 0x95: Take(8); break;                                                      // FRAME: a length hint
                    case (byte)'.': if (stack.Count != 1 || marks.Count > 0) throw Error("pickle ends with a malformed stack"); return stack[0];
                    case (byte)'}': stack.Add(new PyDict()); break;
                    case (byte)']': stack.Add(new List<object>()); break;
                    case (byte)')': stack.Add(Array.Empty<object>()); break;
                    case (byte)'N': stack.Add(None.Instance); break;
                    case 0x88: stack.Add(true); break;
                    case 0x89: stack.Add(false); break;
                    case (byte)'(': marks.Push(new List<object>(stack)); stack.Clear(); break;
                    case (byte)'X': stack.Add(Utf8(Take(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))))); break;
                    case 0x8c: stack.Add(Utf8(Take(Take(1)[0]))); break;
                    case 0x8d: { var n = BinaryPrimitives.ReadUInt64LittleEndian(Take(8)); stack.Add(Utf8(Take(n > int.MaxValue ? -1 : (long)n))); break; }
                    case (byte)'K': stack.Add((long)Take(1)[0]); break;
                    case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                    case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                    case 0x8a:
                    {
                        int n = Take(1)[0];
                        if (n > 8) throw Error("integer too large");
                        var b = Take(n);
                        long v = 0;
                        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
                        if (n is > 0 and < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);   // two's complement of n bytes
                        stack.Add(v);
                        break;
                    }
                    case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                    case (byte)'q': memo[Take(1)[0]] = Top(); break;
                    case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(); break;
                    case 0x94: memo[memo.Count] = Top(); break;
                    case (byte)'h': stack.Add(Memo(Take(1)[0])); break;
                    case (byte)'j': stack.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                    case (byte)'c': { var module = Line(); var name = Line(); stack.Add(MakeGlobal(module, name)); break; }
                    case 0x93:
                    {
                        var name = Pop(); var module = Pop();
                        if (module is not string m || name is not string n) throw Error("STACK_GLOBAL needs two strings");
                        stack.Add(MakeGlobal(m, n));
                        break;
                    }
                    case (byte)'t': stack.Add(PopMark("TUPLE").ToArray()); break;
                    case 0x85: stack.Add(new[] { Pop() }); break;
                    case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new[] { a, b }); break; }
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new[] { a, b, c }); break; }
                    case (byte)'Q': stack.Add(Persistent(Pop())); break;
                    case (byte)'R': { var args = Pop(); var f = Pop(); stack.Add(Reduce(f, args)); break; }
                    case (byte)'s': { var v = Pop(); var k = Pop(); Dict(Top(), "SETITEM").Items.Add((k, v)); break; }
                    case (byte)'u':
                    {
                        var items = PopMark("SETITEMS");
                        if (items.Count % 2 != 0) throw Error("SETITEMS with an odd number of items");
                        var d = Dict(Top(), "SETITEMS");
                        for (int i = 0; i < items.Count; i += 2) d.Items.Add((items[i], items[i + 1]));
                        break;
                    }
                    case (byte)'a': { var v = Pop(); List(Top(), "APPEND").Add(v); break; }
                    case (byte)'e': { var items = PopMark("APPENDS"); List(Top(), "APPENDS").AddRange(items); break; }
                    case (byte)'b':
                    {
                        // OrderedDict state (the state dict's _metadata attribute): not needed, dropped.
                        Pop();
                        if (Top() is not PyDict) throw Error("BUILD on something other than an OrderedDict");
                        break;
                    }
                    default:
                        throw Refused.TryGetValue(op, out var opName)
                            ? Error($"pickle opcode {opName} (0x{op:x2}) is not allowed: a .pt is only read for its tensors, never to run code")
                            : Error($"unknown pickle opcode 0x{op:x2}");
                }
            }
        }

        string Utf8(ReadOnlySpan<byte> b) =>
            System.Text.Unicode.Utf8.IsValid(b) ? Encoding.UTF8.GetString(b) : throw Error("string is not valid UTF-8");

        object Memo(long key) => memo.TryGetValue(key, out var v) ? v : throw Error($"memo entry {key} was never stored");

        PyDict Dict(object o, string op) => o as PyDict ?? throw Error($"{op} on {Describe(o)}, not a dict");
        List<object> List(object o, string op) => o as List<object> ?? throw Error($"{op} on {Describe(o)}, not a list");

        // torch.save's persistent id: ('storage', storage_type, key, location, numel).
        object Persistent(object pid)
        {
            if (pid is not object[] { Length: 5 } t || t[0] is not "storage" || t[1] is not StorageType type || t[2] is not string key || t[4] is not long numel)
                throw Error("unsupported persistent id (expected ('storage', type, key, location, numel))");
            return new PersistentStorage(storage(type, key, numel));
        }

        object Reduce(object f, object args)
        {
            if (f is not Global g) throw Error($"REDUCE on {Describe(f)}, which is not callable");
            if (args is not object[] a) throw Error("REDUCE arguments are not a tuple");
            return g.ToString() switch
            {
                "collections.OrderedDict" when a.Length == 0 || (a.Length == 1 && a[0] is List<object> { Count: 0 } or object[] { Length: 0 }) => new PyDict(),
                "torch._utils._rebuild_tensor_v2" => RebuildTensor(a),
                "torch._utils._rebuild_parameter" when a.Length >= 1 && a[0] is Tensor t => t,
                _ => throw Error($"unsupported call of {g}"),
            };
        }

        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        Tensor RebuildTensor(object[] a)
        {
            if (a.Length < 4 || a[0] is not PersistentStorage s || a[1] is not long offset || a[2] is not object[] size || a[3] is not object[] stride)
                throw Error("malformed _rebuild_tensor_v2 arguments");
            if (size.Length != stride.Length) throw Error($"tensor size has {size.Length} dimensions, stride {stride.Length}");
            var sz = size.Select(x => x is long v && v >= 0 ? v : throw Error("tensor size must be non-negative integers")).ToArray();
            var st = stride.Select(x => x is long v && v >= 0 ? v : throw Error("tensor stride must be non-negative integers")).ToArray();
            long numel = s.Storage.numel();
            if (offset < 0) throw Error("negative storage offset");
            // The last element the view touches must lie inside the storage (an empty view touches nothing).
            if (sz.All(d => d > 0))
            {
                long last = offset;
                try { for (int i = 0; i < sz.Length; i++) last = checked(last + (sz[i] - 1) * st[i]); }
                catch (OverflowException) { last = long.MaxValue; }
                if (last >= numel) throw Error($"tensor view (offset {offset}, size [{string.Join(", ", sz)}], stride [{string.Join(", ", st)}]) lies outside its storage of {numel} elements");
            }
            var result = empty(sz, s.Storage.dtype);
            result.copy_(s.Storage.as_strided(sz, st, offset));
            return result;
        }
    }
}
