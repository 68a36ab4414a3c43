namespace Hrm.Runtime;

/// <summary>
/// Font files for drawing text into images. SkiaSharp's dependency-free Linux build has no font manager, so pictures
/// load a font file: $HRM_FONT, else a common sans-serif file of the system (Debian: fonts-dejavu-core or
/// fonts-liberation). Null when none exists; pictures are then drawn without text.
/// </summary>
public static class SystemFonts
{
    static readonly string[] RegularFiles =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf", "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf", "/Library/Fonts/Arial.ttf", @"C:\Windows\Fonts\arial.ttf",
    ];

    static IEnumerable<string> Candidates() =>
        Environment.GetEnvironmentVariable("HRM_FONT") is { Length: > 0 } f ? [f, .. RegularFiles] : RegularFiles;

    /// <summary>The regular sans-serif font file, or null.</summary>
    public static string? Regular => Candidates().FirstOrDefault(File.Exists);

    /// <summary>The bold face beside <see cref="Regular"/>, or null.</summary>
    public static string? Bold => BoldCandidates.FirstOrDefault(File.Exists);

    /// <summary>Every candidate regular file, in order of preference.</summary>
    public static IReadOnlyList<string> RegularCandidates => Candidates().ToList();

    /// <summary>Every candidate bold file, in order of preference.</summary>
    public static IReadOnlyList<string> BoldCandidates => RegularFiles
        .Select(f => f.Replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf").Replace("Regular", "Bold").Replace("arial.ttf", "arialbd.ttf").Replace("Arial.ttf", "Arial Bold.ttf")).ToList();
}
