using Hrm.Training;

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
        Assert.Equal(["hrm", "transformer", "trm"], ConfigKeys.Find("arch.grid_conv")!.Architectures.Select(a => a.Name).Order());   // every architecture takes the token mixers
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
