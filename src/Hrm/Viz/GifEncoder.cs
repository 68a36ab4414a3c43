namespace Hrm.Viz;

/// <summary>
/// A minimal animated GIF89a writer: one global palette of up to 256 colours, LZW-compressed frames of the same size,
/// a per-frame delay and the NETSCAPE2.0 loop extension. Trace frames are flat-coloured grids, so a palette of their
/// most frequent colours (the rest mapped to the nearest) loses nothing visible; SkiaSharp decodes GIF but does not
/// encode it, and this avoids a second native imaging library for one format.
/// </summary>
public static class GifEncoder
{
    /// <summary>A frame: Width x Height pixels, 0xAARRGGBB row-major (alpha ignored), shown for DelayMs.</summary>
    public sealed record Frame(int Width, int Height, uint[] Pixels, int DelayMs);

    public static byte[] Encode(IReadOnlyList<Frame> frames, bool loop = true)
    {
        if (frames.Count == 0) throw new ArgumentException("a GIF needs at least one frame");
        int w = frames[0].Width, h = frames[0].Height;
        if (w < 1 || h < 1 || w > 65535 || h > 65535) throw new ArgumentException($"GIF frames must be 1..65535 pixels a side, got {w} x {h}");
        foreach (var f in frames)
            if (f.Width != w || f.Height != h || f.Pixels.Length != w * h) throw new ArgumentException("every GIF frame must have the first frame's size");

        var palette = BuildPalette(frames);
        int bits = 1;
        while ((1 << bits) < palette.Length) bits++;
        var ms = new MemoryStream();
        void U16(int v) { ms.WriteByte((byte)v); ms.WriteByte((byte)(v >> 8)); }
        ms.Write("GIF89a"u8);
        U16(w); U16(h);
        ms.WriteByte((byte)(0x80 | ((bits - 1) << 4) | (bits - 1)));   // global colour table of 2^bits entries
        ms.WriteByte(0); ms.WriteByte(0);
        for (int i = 0; i < 1 << bits; i++)
        {
            uint c = i < palette.Length ? palette[i] : 0;
            ms.WriteByte((byte)(c >> 16)); ms.WriteByte((byte)(c >> 8)); ms.WriteByte((byte)c);
        }
        if (loop)
        {
            ms.Write([0x21, 0xFF, 0x0B]); ms.Write("NETSCAPE2.0"u8); ms.Write([0x03, 0x01, 0x00, 0x00, 0x00]);
        }
        var lookup = new Dictionary<uint, byte>();
        for (int i = 0; i < palette.Length; i++) lookup[palette[i]] = (byte)i;
        foreach (var f in frames)
        {
            ms.Write([0x21, 0xF9, 0x04, 0x00]);   // graphic control: no transparency, no disposal
            U16(Math.Clamp((f.DelayMs + 5) / 10, 1, 65535));
            ms.Write([0x00, 0x00]);
            ms.WriteByte(0x2C); U16(0); U16(0); U16(w); U16(h); ms.WriteByte(0);
            var indices = new byte[f.Pixels.Length];
            for (int i = 0; i < indices.Length; i++)
            {
                uint c = f.Pixels[i] & 0xFFFFFF;
                if (!lookup.TryGetValue(c, out var k)) lookup[c] = k = Nearest(palette, c);
                indices[i] = k;
            }
            int minCode = Math.Max(2, bits);
            ms.WriteByte((byte)minCode);
            Lzw(ms, indices, minCode);
        }
        ms.WriteByte(0x3B);
        return ms.ToArray();
    }

    /// <summary>The colours in use, most frequent first, at most 256 (RGB, 0xRRGGBB).</summary>
    static uint[] BuildPalette(IReadOnlyList<Frame> frames)
    {
        var counts = new Dictionary<uint, long>();
        foreach (var f in frames)
            foreach (var p in f.Pixels)
            {
                uint c = p & 0xFFFFFF;
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        return counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Take(256).Select(kv => kv.Key).ToArray();
    }

    static byte Nearest(uint[] palette, uint c)
    {
        int best = 0;
        long bestD = long.MaxValue;
        for (int i = 0; i < palette.Length; i++)
        {
            long dr = (int)((c >> 16) & 255) - (int)((palette[i] >> 16) & 255);
            long dg = (int)((c >> 8) & 255) - (int)((palette[i] >> 8) & 255);
            long db = (int)(c & 255) - (int)(palette[i] & 255);
            long d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
            if (d < bestD) { bestD = d; best = i; }
        }
        return (byte)best;
    }

    /// <summary>Variable-width LZW as GIF wants it: codes packed LSB first into sub-blocks of at most 255 bytes.</summary>
    static void Lzw(Stream output, byte[] indices, int minCode)
    {
        int clear = 1 << minCode, end = clear + 1;
        var block = new List<byte>(255);
        int bitBuffer = 0, bitCount = 0;
        void Flush()
        {
            if (block.Count == 0) return;
            output.WriteByte((byte)block.Count);
            foreach (var b in block) output.WriteByte(b);
            block.Clear();
        }
        int codeSize = minCode + 1, next = end + 1;
        void Emit(int code)
        {
            bitBuffer |= code << bitCount;
            bitCount += codeSize;
            while (bitCount >= 8)
            {
                block.Add((byte)bitBuffer);
                if (block.Count == 255) Flush();
                bitBuffer >>= 8;
                bitCount -= 8;
            }
        }
        var table = new Dictionary<int, int>();
        Emit(clear);
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int key = (prefix << 8) | indices[i];
            if (table.TryGetValue(key, out int code)) { prefix = code; continue; }
            Emit(prefix);
            // The decoder widens its codes once its table reaches 2^codeSize; it adds each entry one code later than
            // we do, so we widen after emitting the code that precedes the entry that fills the width.
            if (next >= 1 << codeSize && codeSize < 12) codeSize++;
            if (next < 4096) table[key] = next++;
            else
            {
                Emit(clear);
                table.Clear();
                codeSize = minCode + 1;
                next = end + 1;
            }
            prefix = indices[i];
        }
        Emit(prefix);
        Emit(end);
        if (bitCount > 0) block.Add((byte)bitBuffer);
        Flush();
        output.WriteByte(0);
    }
}
