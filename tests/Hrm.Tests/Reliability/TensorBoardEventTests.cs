using System.Buffers.Binary;
using System.Text;
using Hrm.Training;

namespace Hrm.Tests.Reliability;

/// <summary>
/// Our TensorBoard event writer (which writes through the write seam, one whole record at a time) writes what
/// TorchSharp's SummaryWriter writes: the same TFRecord framing and CRC-32C, and the same (tag, step, value) events;
/// and a record cut off by a full disk leaves the earlier ones readable.
/// </summary>
public sealed class TensorBoardEventTests : IDisposable
{
    readonly TempDirectory _tmp = new();
    public void Dispose() => _tmp.Dispose();

    /// <summary>The records of an event file, each checked against its masked CRC-32C.</summary>
    static List<byte[]> Records(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        int at = 0;
        while (at < bytes.Length)
        {
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)), TensorBoardEventWriter.MaskedCrc(bytes.AsSpan(at, 8)));
            var data = bytes.AsSpan(at + 12, (int)n).ToArray();
            Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + (int)n)), TensorBoardEventWriter.MaskedCrc(data));
            records.Add(data);
            at += 12 + (int)n + 4;
        }
        return records;
    }

    static ulong Varint(byte[] b, ref int at)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[at++];
            v |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80) return v;
        }
    }

    /// <summary>Fields of a protocol buffer message: (field number, wire type, payload bytes or varint value).</summary>
    static IEnumerable<(int Field, int Wire, byte[] Bytes, ulong Value)> Fields(byte[] m)
    {
        int at = 0;
        while (at < m.Length)
        {
            ulong key = Varint(m, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: yield return (field, wire, [], Varint(m, ref at)); break;
                case 1: yield return (field, wire, m[at..(at + 8)], 0); at += 8; break;
                case 5: yield return (field, wire, m[at..(at + 4)], 0); at += 4; break;
                case 2: { int n = (int)Varint(m, ref at); yield return (field, wire, m[at..(at + n)], 0); at += n; break; }
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
    }

    /// <summary>(file_version or null, then each scalar as (tag, step, value)).</summary>
    static (List<string> Versions, List<(string Tag, long Step, float Value)> Scalars) Events(string path)
    {
        var versions = new List<string>();
        var scalars = new List<(string, long, float)>();
        foreach (var record in Records(path))
        {
            long step = 0;
            foreach (var f in Fields(record))
            {
                if (f.Field == 2) step = (long)f.Value;
                if (f.Field == 3) versions.Add(Encoding.UTF8.GetString(f.Bytes));
                if (f.Field == 5)
                    foreach (var v in Fields(f.Bytes).Where(v => v.Field == 1))
                    {
                        var value = Fields(v.Bytes).ToList();
                        scalars.Add((Encoding.UTF8.GetString(value.Single(x => x.Field == 1).Bytes), step,
                            BinaryPrimitives.ReadSingleLittleEndian(value.Single(x => x.Field == 2).Bytes)));
                    }
            }
        }
        return (versions, scalars);
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value() =>
        Assert.Equal(0xE3069283u, TensorBoardEventWriter.Crc32C(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void Our_event_file_says_what_torchsharps_summary_writer_says()
    {
        var scalars = new (string Tag, long Step, float Value)[] { ("train/lm_loss", 1, 2.5f), ("train/lr", 1, 1e-4f), ("eval/all/exact_accuracy", 30, 0.75f) };
        var theirs = Path.Combine(_tmp.Path, "theirs");
        var writer = TorchSharp.torch.utils.tensorboard.SummaryWriter(theirs);
        foreach (var (tag, step, value) in scalars) writer.add_scalar(tag, value, (int)step);
        (writer as IDisposable)?.Dispose();
        var ours = Path.Combine(_tmp.Path, "ours");
        using (var w = new TensorBoardEventWriter(ours))
            foreach (var (tag, step, value) in scalars) w.AddScalar(tag, value, step);

        var theirFile = Directory.GetFiles(theirs, "events.out.tfevents.*", SearchOption.AllDirectories).Single();
        var ourFile = Directory.GetFiles(ours, "events.out.tfevents.*").Single();
        var a = Events(theirFile);   // Records() checks their CRCs with our CRC-32C
        var b = Events(ourFile);
        Assert.Equal(a.Scalars, b.Scalars);
        Assert.Equal(scalars, b.Scalars);
        Assert.Equal(["brain.Event:2"], b.Versions);
        Assert.All(a.Versions, v => Assert.Equal("brain.Event:2", v));
    }

    [Fact]
    public void A_record_cut_off_by_a_full_disk_leaves_the_earlier_records_readable()
    {
        var dir = Path.Combine(_tmp.Path, "tb");
        using (var w = new TensorBoardEventWriter(dir))
        {
            w.AddScalar("train/lm_loss", 1f, 1);
            using (FaultInjection.DiskFull(20))
            {
                var e = Assert.Throws<WriteFailedException>(() => w.AddScalar("train/lm_loss", 0.5f, 2));
                Assert.Contains("No space left on device while appending step 2's train/lm_loss; the earlier records are intact", e.Message);
            }
            w.AddScalar("train/lm_loss", 0.25f, 3);
        }
        var (_, scalars) = Events(Directory.GetFiles(dir).Single());
        Assert.Equal([("train/lm_loss", 1L, 1f), ("train/lm_loss", 3L, 0.25f)], scalars);
    }
}
