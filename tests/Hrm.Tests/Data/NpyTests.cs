using System.Buffers.Binary;
using System.Text;
using Hrm.Data;

namespace Hrm.Tests.Data;

public class NpyTests
{
    [Theory]
    [InlineData(NpyType.Int8)]
    [InlineData(NpyType.UInt8)]
    [InlineData(NpyType.Int16)]
    [InlineData(NpyType.Int32)]
    [InlineData(NpyType.Int64)]
    public void RoundTripsEveryWritableIntegerType(NpyType type)
    {
        using var dir = new TempDirectory();
        var data = type == NpyType.UInt8 ? new[] { 0, 1, 127, 255, 9, 10 } : new[] { -128, 0, 1, 127, -5, 10 };
        var path = dir.File("a.npy");
        Npy.WriteInt32(path, data, new long[] { 2, 3 }, type);
        var back = Npy.Read(path);
        Assert.Equal(type, back.Type);
        Assert.Equal(new long[] { 2, 3 }, back.Shape);
        Assert.Equal(data, back.ToInt32());
    }

    [Theory]
    [InlineData("<u2", 2)]
    [InlineData("<u4", 4)]
    [InlineData("<u8", 8)]
    [InlineData(">i4", 4)]
    [InlineData("|i1", 1)]
    public void ReadsOtherIntegerDtypesAsNumpyWritesThem(string descr, int size)
    {
        using var dir = new TempDirectory();
        var values = new long[] { 0, 1, 2, 1 };
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size, size);
            if (descr[0] == '>') BinaryPrimitives.WriteInt32BigEndian(span, (int)values[i]);
            else if (size == 1) span[0] = (byte)values[i];
            else if (size == 2) BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)values[i]);
            else if (size == 4) BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)values[i]);
            else BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)values[i]);
        }
        var path = dir.File("a.npy");
        File.WriteAllBytes(path, NpyFile(1, $"{{'descr': '{descr}', 'fortran_order': False, 'shape': (4,), }}", bytes));
        Assert.Equal(new[] { 0, 1, 2, 1 }, Npy.Read(path).ToInt32());
    }

    [Fact]
    public void ReadsVersion2HeaderWrittenByHand()
    {
        using var dir = new TempDirectory();
        var bytes = new byte[6 * 8];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), i * 1000 - 2000);
        var path = dir.File("v2.npy");
        File.WriteAllBytes(path, NpyFile(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }", bytes));
        var a = Npy.Read(path);
        Assert.Equal(new long[] { 3, 2 }, a.Shape);
        Assert.Equal(new[] { -2000, -1000, 0, 1000, 2000, 3000 }, a.ToInt32());
    }

    [Fact]
    public void WritesAVersion1HeaderPaddedTo64Bytes()
    {
        using var dir = new TempDirectory();
        var path = dir.File("a.npy");
        Npy.WriteInt32(path, new[] { 1, 2, 3 }, new long[] { 3 }, NpyType.UInt8);
        var raw = File.ReadAllBytes(path);
        Assert.Equal(1, raw[6]);
        int headerLen = BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(8));
        Assert.Equal(0, (10 + headerLen) % 64);
        var header = Encoding.Latin1.GetString(raw, 10, headerLen);
        Assert.Contains("'descr': '|u1'", header);
        Assert.Contains("'shape': (3,)", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(new byte[] { 1, 2, 3 }, raw[^3..]);
    }

    [Fact]
    public void TruncatedDataIsAClearError()
    {
        using var dir = new TempDirectory();
        var path = dir.File("t.npy");
        File.WriteAllBytes(path, NpyFile(1, "{'descr': '<i4', 'fortran_order': False, 'shape': (10,), }", new byte[8]));
        Assert.Contains("truncated", Assert.Throws<HrmException>(() => Npy.Read(path)).Message);
    }

    /// <summary>A .npy file as numpy lays it out: magic, version, header length (2 bytes in 1.0, 4 in 2.0), header padded to 64.</summary>
    static byte[] NpyFile(int major, string dict, byte[] data)
    {
        int lenBytes = major == 1 ? 2 : 4;
        int unpadded = 8 + lenBytes + dict.Length + 1;
        var header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        var file = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        var len = new byte[lenBytes];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
        file.AddRange(len);
        file.AddRange(Encoding.Latin1.GetBytes(header));
        file.AddRange(data);
        return file.ToArray();
    }
}
