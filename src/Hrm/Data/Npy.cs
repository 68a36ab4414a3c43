using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Hrm.Data;

/// <summary>Element types that numpy writes and we read or write.</summary>
public enum NpyType { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float16, Float32, Float64 }

/// <summary>
/// An n-dimensional array read from or written to numpy's .npy format (versions 1.0, 2.0 and 3.0,
/// C order, little- or big-endian). Values are kept as doubles-free typed views: use the typed accessors.
/// </summary>
public sealed class NpyArray
{
    public NpyType Type { get; }
    public long[] Shape { get; }
    /// <summary>Raw little-endian element bytes in C order.</summary>
    internal byte[] Bytes { get; }

    internal NpyArray(NpyType type, long[] shape, byte[] bytes) { Type = type; Shape = shape; Bytes = bytes; }

    public long Count => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>All elements as int64 (integer and bool types only).</summary>
    public long[] ToInt64()
    {
        var n = checked((int)Count);
        var r = new long[n];
        var s = Bytes.AsSpan();
        for (int i = 0; i < n; i++)
            r[i] = Type switch
            {
                NpyType.Bool => s[i] != 0 ? 1 : 0,
                NpyType.Int8 => (sbyte)s[i],
                NpyType.UInt8 => s[i],
                NpyType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]),
                NpyType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]),
                NpyType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]),
                NpyType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]),
                NpyType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]),
                NpyType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]) is var u && u <= long.MaxValue ? (long)u
                    : throw new HrmException($"value {BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..])} at index {i} does not fit in int64"),
                _ => throw new HrmException($"expected an integer array, found {Type}"),
            };
        return r;
    }

    /// <summary>All elements as int32 (integer types; values out of int32 range are an error).</summary>
    public int[] ToInt32()
    {
        var l = ToInt64();
        var r = new int[l.Length];
        for (int i = 0; i < l.Length; i++)
        {
            if (l[i] < int.MinValue || l[i] > int.MaxValue) throw new HrmException($"value {l[i]} at index {i} does not fit in int32");
            r[i] = (int)l[i];
        }
        return r;
    }

    /// <summary>All elements as float32 (float and integer types).</summary>
    public float[] ToFloat32()
    {
        var n = checked((int)Count);
        var r = new float[n];
        var s = Bytes.AsSpan();
        switch (Type)
        {
            case NpyType.Float32: for (int i = 0; i < n; i++) r[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]); break;
            case NpyType.Float64: for (int i = 0; i < n; i++) r[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]); break;
            case NpyType.Float16: for (int i = 0; i < n; i++) r[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(s[(2 * i)..]); break;
            default: var l = ToInt64(); for (int i = 0; i < n; i++) r[i] = l[i]; break;
        }
        return r;
    }

    public static NpyArray FromInt32(int[] data, long[] shape, NpyType type = NpyType.Int32)
    {
        CheckCount(data.Length, shape);
        int size = Npy.ElementSize(type);
        var bytes = new byte[data.Length * size];
        for (int i = 0; i < data.Length; i++)
        {
            long v = data[i];
            switch (type)
            {
                case NpyType.Int8: if (v < sbyte.MinValue || v > sbyte.MaxValue) throw Range(v, type); bytes[i] = (byte)(sbyte)v; break;
                case NpyType.UInt8: if (v < 0 || v > byte.MaxValue) throw Range(v, type); bytes[i] = (byte)v; break;
                case NpyType.Int16: if (v < short.MinValue || v > short.MaxValue) throw Range(v, type); BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(2 * i), (short)v); break;
                case NpyType.Int32: BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * i), (int)v); break;
                case NpyType.Int64: BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), v); break;
                default: throw new ArgumentException($"cannot write int data as {type}");
            }
        }
        return new NpyArray(type, shape, bytes);
    }

    public static NpyArray FromFloat32(float[] data, long[] shape)
    {
        CheckCount(data.Length, shape);
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        return new NpyArray(NpyType.Float32, shape, bytes);
    }

    static void CheckCount(int n, long[] shape)
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != n) throw new ArgumentException($"shape [{string.Join(", ", shape)}] does not hold {n} elements");
    }

    static ArgumentException Range(long v, NpyType t) => new($"value {v} does not fit in {t}");
}

/// <summary>Reads and writes numpy .npy files.</summary>
public static class Npy
{
    static readonly byte[] Magic = { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y' };

    public static int ElementSize(NpyType t) => t switch
    {
        NpyType.Bool or NpyType.Int8 or NpyType.UInt8 => 1,
        NpyType.Int16 or NpyType.UInt16 or NpyType.Float16 => 2,
        NpyType.Int32 or NpyType.UInt32 or NpyType.Float32 => 4,
        _ => 8,
    };

    static string Descr(NpyType t) => t switch
    {
        NpyType.Bool => "|b1", NpyType.Int8 => "|i1", NpyType.UInt8 => "|u1",
        NpyType.Int16 => "<i2", NpyType.UInt16 => "<u2", NpyType.Int32 => "<i4", NpyType.UInt32 => "<u4",
        NpyType.Int64 => "<i8", NpyType.UInt64 => "<u8", NpyType.Float16 => "<f2", NpyType.Float32 => "<f4",
        _ => "<f8",
    };

    static NpyType ParseDescr(string d, string path)
    {
        if (d.Length < 3 || d[0] is not ('<' or '>' or '|' or '='))
            throw new HrmException($"unsupported dtype '{d}'") { File = path };
        if (d[1] == 'O') throw new HrmException($"unsupported dtype '{d}' (an object array holds pickled Python objects, which are never loaded)") { File = path };
        char kind = d[1];
        int size = int.TryParse(d[2..], out var s) ? s : -1;
        return (kind, size) switch
        {
            ('b', 1) => NpyType.Bool, ('i', 1) => NpyType.Int8, ('u', 1) => NpyType.UInt8,
            ('i', 2) => NpyType.Int16, ('u', 2) => NpyType.UInt16, ('i', 4) => NpyType.Int32, ('u', 4) => NpyType.UInt32,
            ('i', 8) => NpyType.Int64, ('u', 8) => NpyType.UInt64, ('f', 2) => NpyType.Float16, ('f', 4) => NpyType.Float32,
            ('f', 8) => NpyType.Float64,
            _ => throw new HrmException($"unsupported dtype '{d}'") { File = path },
        };
    }

    public static NpyArray Read(string path)
    {
        if (!File.Exists(path)) throw new HrmException("file not found") { File = path };
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static NpyArray Read(Stream stream, string name)
    {
        var head = new byte[8];
        if (stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) < 8 || !head.AsSpan(0, 6).SequenceEqual(Magic))
            throw new HrmException("not a .npy file (bad magic)") { File = name };
        int major = head[6];
        int headerLen;
        long headerLenRaw;
        if (major == 1)
        {
            var b = new byte[2];
            if (stream.ReadAtLeast(b, 2, false) < 2) throw new HrmException("truncated .npy header") { File = name };
            headerLen = BinaryPrimitives.ReadUInt16LittleEndian(b);
            headerLenRaw = headerLen;
        }
        else if (major is 2 or 3)
        {
            var b = new byte[4];
            if (stream.ReadAtLeast(b, 4, false) < 4) throw new HrmException("truncated .npy header") { File = name };
            headerLenRaw = BinaryPrimitives.ReadUInt32LittleEndian(b);
            headerLen = headerLenRaw > int.MaxValue ? -1 : (int)headerLenRaw;
        }
        else throw new HrmException($"unsupported .npy version {major}.{head[7]}") { File = name };
        if (headerLen <= 0 || headerLen > 1 << 20) throw new HrmException($"implausible .npy header length {headerLenRaw}") { File = name };
        var hb = new byte[headerLen];
        if (stream.ReadAtLeast(hb, headerLen, false) < headerLen) throw new HrmException("truncated .npy header") { File = name };
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(hb);

        var (d, fortran, shape) = NpyHeader.Parse(header, name);
        var type = ParseDescr(d, name);
        bool bigEndian = d[0] == '>';
        int size = ElementSize(type);
        long count, nbytes;
        try { count = shape.Aggregate(1L, (a, b) => checked(a * b)); nbytes = checked(count * size); }
        catch (OverflowException) { nbytes = long.MaxValue; count = 0; }
        if (nbytes > Array.MaxLength) throw new HrmException($"array too large (shape ({string.Join(", ", shape)}) of {d})") { File = name };
        // Compare with what the file holds before allocating: a lying shape must not cost its claimed size in memory.
        if (stream.CanSeek)
        {
            long left = stream.Length - stream.Position;
            if (left < nbytes) throw new HrmException($"truncated data: expected {nbytes} bytes for shape ({string.Join(", ", shape)}) {d}, the file has {left}") { File = name };
            if (left > nbytes) throw new HrmException($"{left - nbytes} bytes after the data of shape ({string.Join(", ", shape)}) {d}: the header does not describe this file") { File = name };
        }
        var data = new byte[nbytes];
        if (stream.ReadAtLeast(data, (int)nbytes, false) < nbytes)
            throw new HrmException($"truncated data: expected {nbytes} bytes for shape ({string.Join(", ", shape)}) {d}") { File = name };
        if (bigEndian && size > 1)
            for (long i = 0; i < count; i++) Array.Reverse(data, (int)(i * size), size);
        if (fortran && shape.Length > 1)
            data = FortranToC(data, shape, size);
        return new NpyArray(type, shape, data);
    }

    static byte[] FortranToC(byte[] src, long[] shape, int size)
    {
        int n = shape.Length;
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var dst = new byte[src.Length];
        var idx = new long[n];
        for (long c = 0; c < count; c++)
        {
            long rem = c;
            for (int k = n - 1; k >= 0; k--) { idx[k] = rem % shape[k]; rem /= shape[k]; }
            long f = 0, stride = 1;
            for (int k = 0; k < n; k++) { f += idx[k] * stride; stride *= shape[k]; }
            Buffer.BlockCopy(src, (int)(f * size), dst, (int)(c * size), size);
        }
        return dst;
    }

    /// <summary>Writes a version 1.0 .npy file (atomically: temporary file, then rename).</summary>
    public static void Write(string path, NpyArray array)
    {
        var shape = array.Shape.Length == 1 ? $"({array.Shape[0]},)" : $"({string.Join(", ", array.Shape)})";
        var header = $"{{'descr': '{Descr(array.Type)}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        AtomicFile.Write(path, f =>
        {
            f.Write(Magic);
            f.WriteByte(1); f.WriteByte(0);
            var len = new byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
            f.Write(len);
            f.Write(Encoding.Latin1.GetBytes(header));
            f.Write(array.Bytes);
        });
    }

    public static void WriteInt32(string path, int[] data, long[] shape, NpyType type = NpyType.Int32) => Write(path, NpyArray.FromInt32(data, shape, type));
    public static void WriteFloat32(string path, float[] data, long[] shape) => Write(path, NpyArray.FromFloat32(data, shape));
}

/// <summary>
/// The header of a .npy file, parsed as strictly as numpy's own safe literal evaluation: a Python dict literal with
/// exactly the keys 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of non-negative ints).
/// </summary>
static class NpyHeader
{
    public static (string Descr, bool Fortran, long[] Shape) Parse(string header, string name)
    {
        var p = new Parser(header, name);
        string? descr = null;
        bool? fortran = null;
        long[]? shape = null;
        p.Expect('{');
        while (!p.TryTake('}'))
        {
            var key = p.String();
            p.Expect(':');
            switch (key)
            {
                case "descr" when descr is null:
                    if (p.Peek() == '[') throw p.Error("structured dtypes are not supported");
                    descr = p.String();
                    break;
                case "fortran_order" when fortran is null: fortran = p.Bool(); break;
                case "shape" when shape is null: shape = p.Shape(); break;
                case "descr" or "fortran_order" or "shape": throw new HrmException($"malformed .npy header: '{key}' appears twice") { File = name };
                default: throw new HrmException($"malformed .npy header: unexpected key '{Parser.Printable(key)}'") { File = name };
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        p.End();
        if (descr is null || fortran is null || shape is null) throw p.Error("expected the keys 'descr', 'fortran_order' and 'shape'");
        return (descr, fortran.Value, shape);
    }

    sealed class Parser(string text, string name)
    {
        int pos;

        public static string Printable(string s)
        {
            var clean = new string(s.Select(c => char.IsControl(c) ? '?' : c).ToArray()).Trim();
            return clean.Length > 120 ? clean[..120] + "..." : clean;
        }

        public HrmException Error(string what) => new($"{name}: malformed .npy header ({what}): {Printable(text)}");

        void Skip() { while (pos < text.Length && text[pos] is ' ' or '\t' or '\n' or '\r') pos++; }

        public char Peek() { Skip(); return pos < text.Length ? text[pos] : '\0'; }

        public bool TryTake(char c)
        {
            if (Peek() != c) return false;
            pos++;
            return true;
        }

        public void Expect(char c) { if (!TryTake(c)) throw Error($"expected '{c}' at offset {pos}"); }

        public void End() { Skip(); if (pos != text.Length) throw Error($"unexpected text after the dict at offset {pos}"); }

        public string String()
        {
            char q = Peek();
            if (q is not ('\'' or '"')) throw Error($"expected a quoted string at offset {pos}");
            int start = ++pos;
            while (pos < text.Length && text[pos] != q)
            {
                if (text[pos] == '\\' || char.IsControl(text[pos])) throw Error("escapes and control characters are not allowed in strings");
                pos++;
            }
            if (pos == text.Length) throw Error("unterminated string");
            return text[start..pos++];
        }

        public bool Bool()
        {
            Skip();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
                if (string.CompareOrdinal(text, pos, word, 0, word.Length) == 0) { pos += word.Length; return value; }
            throw Error("fortran_order must be True or False");
        }

        public long[] Shape()
        {
            if (!TryTake('(')) throw new HrmException($"malformed shape in .npy header (expected a tuple): {Printable(text)}") { File = name };
            var dims = new List<long>();
            bool comma = false;
            while (!TryTake(')'))
            {
                Skip();
                int start = pos;
                while (pos < text.Length && text[pos] is not (',' or ')' or ' ')) pos++;
                var token = text[start..pos].TrimEnd('L');
                if (!long.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v))
                    throw new HrmException($"malformed shape in .npy header ('{Printable(token)}' is not a non-negative integer)") { File = name };
                dims.Add(v);
                comma = TryTake(',');
                if (!comma) { if (Peek() != ')') throw Error("expected ',' or ')' in the shape"); }
            }
            // (6) is the integer 6 in Python, not a tuple: numpy writes a one-element shape as (6,).
            if (dims.Count == 1 && !comma) throw new HrmException("malformed shape in .npy header ((N) is not a tuple; numpy writes (N,))") { File = name };
            return dims.ToArray();
        }
    }
}
