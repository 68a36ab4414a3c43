using Hrm.Viz;
using SkiaSharp;

namespace Hrm.Tests.Viz;

/// <summary>PNG frames and the GIF encoder, checked by decoding with Skia's own PNG and GIF decoders.</summary>
public sealed class TraceFramesTests
{
    static SKColor At(SKBitmap b, int x, int y) => b.GetPixel(x, y);

    [Fact]
    public void Png_frames_decode_to_one_size_and_show_the_arc_palette()
    {
        using var temp = new TempDirectory();
        var trace = SampleTraces.ArcScale;
        var files = TraceFrames.WritePngs(trace, Path.Combine(temp.Path, "frames"));
        Assert.Equal(["entry_001.png", "entry_002.png", "entry_003.png"], files.Select(Path.GetFileName));
        var frames = files.Select(f => SKBitmap.Decode(f)).ToList();
        Assert.All(frames, f => Assert.Equal((frames[0].Width, frames[0].Height), (f.Width, f.Height)));
        // Layout: margin 12, caption 40, label 18; ARC cells of 220 / 6 = 36 -> clamped to 24 px; panels 18 px apart.
        int cell = 24, y0 = 12 + 40 + 18, inputX = 12, predX = inputX + 3 * cell + 18;
        var last = frames[2];
        Assert.Equal(SKColor.Parse("#0074D9"), At(last, predX + cell / 2, y0 + cell / 2));                 // prediction (0,0) = 1
        Assert.Equal(SKColor.Parse("#AAAAAA"), At(last, predX + 4 * cell + cell / 2, y0 + 4 * cell + cell / 2));   // (4,4) = 5
        Assert.Equal(SKColor.Parse("#FFDC00"), At(last, inputX + 2 * cell + cell / 2, y0 + cell + cell / 2));      // input (1,2) = 4
        Assert.Equal(SKColor.Parse("#555555"), At(last, predX, y0 + cell / 2));                             // grid line
        foreach (var f in frames) f.Dispose();
    }

    [Fact]
    public void Gif_has_one_frame_per_entry_with_the_png_pixels_and_delays()
    {
        var trace = SampleTraces.Sudoku4;
        var gif = TraceFrames.EncodeGif(trace, frameMs: 500);
        using var codec = SKCodec.Create(new SKMemoryStream(gif));
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedImageFormat.Gif, codec.EncodedFormat);
        Assert.Equal(4, codec.FrameCount);
        Assert.Equal([500, 500, 500, 1500], codec.FrameInfo.Select(f => f.Duration));
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Bgra8888, SKAlphaType.Premul);
        for (int i = 0; i < 4; i++)
        {
            using var frame = new SKBitmap(info);
            Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, frame.GetPixels(), new SKCodecOptions(i)));
            using var png = TraceFrames.Draw(trace, i);
            Assert.Equal((png.Width, png.Height), (frame.Width, frame.Height));
            // The flat colours (all but anti-aliased text edges) come through exactly.
            int same = 0;
            for (int y = 0; y < png.Height; y++)
                for (int x = 0; x < png.Width; x++)
                    if (png.GetPixel(x, y) == frame.GetPixel(x, y)) same++;
            Assert.True(same > 0.97 * png.Width * png.Height, $"frame {i}: only {same} of {png.Width * png.Height} pixels match");
        }
    }

    [Fact]
    public void Gif_encoder_is_lossless_for_up_to_256_colours_across_lzw_table_resets()
    {
        // Noise of 200 colours over 300 x 200 pixels fills the 4096-entry LZW table many times.
        var rng = new Random(7);
        var palette = Enumerable.Range(0, 200).Select(_ => 0xFF000000u | (uint)rng.Next(1 << 24)).ToArray();
        var frames = Enumerable.Range(0, 2).Select(_ => new GifEncoder.Frame(300, 200,
            Enumerable.Range(0, 300 * 200).Select(_ => palette[rng.Next(palette.Length)]).ToArray(), 100)).ToList();
        var gif = GifEncoder.Encode(frames);
        using var codec = SKCodec.Create(new SKMemoryStream(gif));
        var info = new SKImageInfo(300, 200, SKColorType.Bgra8888, SKAlphaType.Premul);
        for (int i = 0; i < 2; i++)
        {
            using var bmp = new SKBitmap(info);
            Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, bmp.GetPixels(), new SKCodecOptions(i)));
            var pixels = bmp.Pixels;
            for (int k = 0; k < pixels.Length; k++)
                Assert.True((uint)pixels[k] == frames[i].Pixels[k], $"frame {i} pixel {k}: #{(uint)pixels[k]:X8} != #{frames[i].Pixels[k]:X8}");
        }
    }

    [Fact]
    public void Gif_of_a_single_colour_decodes()
    {
        var gif = GifEncoder.Encode([new GifEncoder.Frame(3, 2, Enumerable.Repeat(0xFF00FF00u, 6).ToArray(), 50)]);
        using var bmp = SKBitmap.Decode(gif);
        Assert.Equal(SKColor.Parse("#00FF00"), bmp.GetPixel(2, 1));
    }
}

public sealed class ChromiumLookupTests
{
    [Fact]
    public void Missing_chromium_fails_with_the_install_command()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Chromium.FindExecutable(null, ["/nonexistent/chromium"]));
        Assert.Contains("apt-get install -y chromium", e.Message);
        Assert.Contains("/nonexistent/chromium", e.Message);
    }
}
