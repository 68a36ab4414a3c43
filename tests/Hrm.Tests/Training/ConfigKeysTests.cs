using Hrm.Training;
using Hrm.Model;

namespace Hrm.Tests.Training;

/// <summary>The config key registry: one entry per key, the authors'/ours boundary, errors that name the section and
/// the keys allowed, and docs/config.md generated from it.</summary>
public class ConfigKeysTests
{
    [Fact]
    public void Docs_config_md_is_what_the_registry_prints()
    {
        var doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "config.md")).ReplaceLineEndings("\n");
        Assert.True(doc == ConfigKeys.Markdown().ReplaceLineEndings("\n"),
            "docs/config.md is out of date: regenerate it with `hrm config --list-keys --markdown > docs/config.md`");
    }

    [Fact]
    public void Every_key_is_listed_once_with_its_section_and_origin()
    {
        Assert.Equal(ConfigKeys.All.Count, ConfigKeys.All.Select(k => k.Path).Distinct().Count());
        Assert.Equal(ConfigSection.Optimizer, ConfigKeys.Find("lr")!.Section);
        Assert.False(ConfigKeys.Find("lr")!.Ours);
        foreach (var ours in new[] { "max_steps", "max_minutes", "data_recipe", "arch.grid_conv", "arch.rel_pos_bias", "arch.grad_h_cycles", "arch.task" })
            Assert.True(ConfigKeys.Find(ours)!.Ours, ours);
        Assert.Equal(["trm"], ConfigKeys.Find("arch.mlp_t")!.Architectures.Select(a => a.Name));
        Assert.Equal(Architecture.All.Select(a => a.Name), ConfigKeys.Find("arch.grid_conv")!.Architectures.Select(a => a.Name));
        Assert.Equal(["hrm"], ConfigKeys.Find("arch.grad_h_cycles")!.Architectures.Select(a => a.Name));
        Assert.True(ConfigKeys.Find("arch.seq_len")!.FromDataset);
        Assert.Equal("0.1", ConfigKeys.Find("weight_decay")!.Default);
    }

    [Theory]
    [InlineData("lrr=1", "unknown config key 'lrr' (did you mean 'lr'?)", "optimizer: global_batch_size, lr,")]
    [InlineData("arch.hiden_size=1", "unknown config key 'arch.hiden_size' for architecture hrm (did you mean 'hidden_size'?)", "section arch allows: ")]
    public void An_unknown_key_names_its_section_and_the_keys_allowed(string set, string message, string allowed)
    {
        var e = Assert.Throws<HrmException>(() => TrainConfig.Parse("""{"arch": {}}""", "t.json", [set]));
        Assert.Contains(message, e.Message);
        Assert.Contains(allowed, e.Message);
    }

    [Fact]
    public void The_resolved_config_holds_every_default_and_parses_back()
    {
        var cfg = TrainConfig.Parse("""{"arch": {"hidden_size": 64, "num_heads": 2}}""", "t.json");
        var json = cfg.ToResolvedJson();
        var expected = ConfigKeys.All.Where(k => k.Section != ConfigSection.Arch
            || (!k.FromDataset && k.Name != "loss_type" && k.Architectures.Any(a => a.Name == "hrm")));
        foreach (var k in expected) Assert.Contains($"\"{k.Name}\":", json);
        var again = TrainConfig.Parse(json, "resolved.json");
        var shape = new Hrm.Data.DatasetMetadata(0, 0, 0, 6, 16, 1, 1, 1, ["all"]);
        Assert.Equal(cfg.ModelConfig(shape), again.ModelConfig(shape));
    }
}

/// <summary>A key's range is stated once, in its [ConfigKey] attribute: the check and the text users read (the error,
/// `hrm config --list-keys`, docs/config.md) both come from it.</summary>
public class ConfigRangeTests
{
    /// <summary>Every bounded key of the training config and of HRM's arch section, set just past its lower bound.</summary>
    public static IEnumerable<object[]> BelowTheLowerBound()
    {
        foreach (var (prefix, type) in new[] { ("", typeof(TrainConfig)), ("arch.", typeof(Hrm.Model.HrmConfig)) })
            foreach (var (name, _, attr) in ConfigReader.Keys(type))
                if (!double.IsNaN(attr.Min) && !attr.FromDataset)
                    yield return [prefix + name, attr.MinExclusive ? attr.Min : attr.Min - 1];
    }

    [Theory]
    [MemberData(nameof(BelowTheLowerBound))]
    public void A_range_violation_names_the_key_and_the_range_from_its_attribute(string key, double value)
    {
        var range = ConfigKeys.Find(key)!.Range!;
        var e = Assert.Throws<HrmException>(() => TrainConfig.Parse("""{"arch": {}}""", "t.json", [$"{key}={value.ToString(System.Globalization.CultureInfo.InvariantCulture)}"]));
        var name = key.StartsWith("arch.", StringComparison.Ordinal) ? key[5..] : key;
        Assert.Contains($"{name} must be ", e.Message);
        Assert.Contains(range, e.Message);
        Assert.Equal(name, e.Key);
        Assert.StartsWith("t.json: ", e.Message);
    }

    [Theory]
    [InlineData("beta1=1", "beta1 must be in [0, 1), not 1")]
    [InlineData("global_batch_size=2000000", "global_batch_size must be in 1..1,048,576, not 2000000")]
    [InlineData("max_minutes=0", "max_minutes must be > 0 or null, not 0")]
    [InlineData("arch.expansion=65", "expansion must be in (0, 64], not 65")]
    [InlineData("arch.H_cycles=257", "H_cycles must be in 1..256, not 257")]
    [InlineData("nan_policy=sometimes", "nan_policy must be stop or skip, not 'sometimes'")]
    public void The_message_reads_as_the_attribute_states_the_range(string set, string message)
    {
        var e = Assert.Throws<HrmException>(() => TrainConfig.Parse("""{"arch": {}}""", "t.json", [set]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_registry_shows_the_range_the_check_uses()
    {
        Assert.Equal("[0, 1)", ConfigKeys.Find("beta1")!.Range);
        Assert.Equal(">= 1 or null", ConfigKeys.Find("max_steps")!.Range);
        Assert.Equal("stop, skip", ConfigKeys.Find("nan_policy")!.Range);
        Assert.Equal("1..16,384, multiple of num_heads", ConfigKeys.Find("arch.hidden_size")!.Range);
    }
}
