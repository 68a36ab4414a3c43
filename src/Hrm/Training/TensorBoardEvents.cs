using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Hrm.Training;

/// <summary>
/// A TensorBoard event file of scalars, written through <see cref="AtomicFile.OpenAppend"/> (the one write seam) one
/// whole record at a time: TFRecord framing (length, masked CRC-32C of the length, an Event protocol buffer, masked
/// CRC-32C of the data) around Event {wall_time, step, file_version | summary {value {tag, simple_value}}}, as
/// TensorFlow's and PyTorch's SummaryWriter write them. The file is
/// DIR/events.out.tfevents.SECONDS.HOST.PID.N, a new one per writer (per run and resume), as theirs are.
/// </summary>
public sealed class TensorBoardEventWriter : IDisposable
{
    static int _count;
    readonly AppendOnlyFile file;

    public string Path => file.Path;

    public TensorBoardEventWriter(string dir)
    {
        double now = WallTime();
        var name = $"events.out.tfevents.{(long)now}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref _count) - 1}";
        file = AtomicFile.OpenAppend(System.IO.Path.Combine(dir, name), append: false);
        var ev = new List<byte>();
        Double(ev, 1, now);
        Bytes(ev, 3, Encoding.UTF8.GetBytes("brain.Event:2"));
        Record(ev.ToArray(), "the file header");
    }

    public void AddScalar(string tag, float value, long step)
    {
        var val = new List<byte>();
        Bytes(val, 1, Encoding.UTF8.GetBytes(tag));
        Key(val, 2, 5);
        Span<byte> f = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f, value);
        val.AddRange(f.ToArray());
        var summary = new List<byte>();
        Bytes(summary, 1, val.ToArray());
        var ev = new List<byte>();
        Double(ev, 1, WallTime());
        Key(ev, 2, 0);
        Varint(ev, (ulong)step);
        Bytes(ev, 5, summary.ToArray());
        Record(ev.ToArray(), $"step {step}'s {tag}");
    }

    void Record(byte[] data, string what)
    {
        var record = new byte[12 + data.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), MaskedCrc(record.AsSpan(0, 8)));
        data.CopyTo(record, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + data.Length), MaskedCrc(data));
        file.Append(record, what);
    }

    static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    static void Key(List<byte> b, int field, int wireType) => Varint(b, (ulong)((field << 3) | wireType));

    static void Varint(List<byte> b, ulong v)
    {
        while (v >= 0x80) { b.Add((byte)(v | 0x80)); v >>= 7; }
        b.Add((byte)v);
    }

    static void Double(List<byte> b, int field, double v)
    {
        Key(b, field, 1);
        Span<byte> d = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(d, v);
        b.AddRange(d.ToArray());
    }

    static void Bytes(List<byte> b, int field, byte[] v)
    {
        Key(b, field, 2);
        Varint(b, (ulong)v.Length);
        b.AddRange(v);
    }

    /// <summary>CRC-32C (Castagnoli), as TFRecord uses it.</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (var x in data) crc = BitOperations.Crc32C(crc, x);
        return ~crc;
    }

    /// <summary>TFRecord's masked CRC: rotated right by 15 bits plus a constant.</summary>
    internal static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
    }

    public void Dispose() => file.Dispose();
}
