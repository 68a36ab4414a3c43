using System.Globalization;
using Hrm.Analysis;

namespace Hrm.Tests.Analysis;

public class CsvTests
{
    [Fact]
    public void WritesHeaderInvariantRoundTripDoublesAndQuotes()
    {
        var old = CultureInfo.CurrentCulture;
        try
        {
            // A culture with a decimal comma must not leak into the file.
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            var table = new CsvTable("module", "puzzles", "pr", "note")
                .Add("zH", 10, 0.1 + 0.2, null)
                .Add("zL", 20, double.NaN, "a, \"quoted\"\nnote")
                .Add("zL", 30L, 1e-300, true);
            Assert.Equal("module,puzzles,pr,note\nzH,10,0.30000000000000004,\nzL,20,NaN,\"a, \"\"quoted\"\"\nnote\"\nzL,30,1E-300,true\n", table.ToString());

            using var dir = new TempDirectory();
            var path = dir.File("pr.csv");
            table.Write(path);
            var back = CsvTable.Read(path);
            Assert.Equal(table.Columns, back.Columns);
            Assert.Equal(new[] { 0.1 + 0.2, double.NaN, 1e-300 }, back.Doubles("pr"));
            Assert.Equal("a, \"quoted\"\nnote", back.Strings("note")[1]);
            Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
        }
        finally { CultureInfo.CurrentCulture = old; }
    }

    [Fact]
    public void BadRowsAndColumnsAreHrmExceptions()
    {
        var table = new CsvTable("a", "b");
        Assert.Contains("1 values for 2 columns", Assert.Throws<HrmException>(() => table.Add(1)).Message);
        Assert.Contains("no column 'c'", Assert.Throws<HrmException>(() => table.Doubles("c")).Message);
        Assert.Contains("appears twice", Assert.Throws<HrmException>(() => new CsvTable("a", "a")).Message);
        Assert.Contains("row 1 has 1 cells", Assert.Throws<HrmException>(() => CsvTable.Parse("a,b\n1\n")).Message);
        Assert.Contains("'x' is not a number", Assert.Throws<HrmException>(() => CsvTable.Parse("a\nx\n").Doubles("a")).Message);
    }
}
