using Hrm.Interop;
using Hrm.Model;
using Hrm.Training;

namespace Hrm.Tests.Model;

/// <summary>The architecture comes from the config's "name"; unknown names are clear errors.</summary>
public class ArchitectureTests
{
    const string Body = "\"seq_len\": 16, \"vocab_size\": 6, \"hidden_size\": 16, \"num_heads\": 2, \"H_layers\": 1, \"L_layers\": 1, \"puzzle_emb_ndim\": 0";

    [Theory]
    [InlineData(null)]
    [InlineData("hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1")]
    [InlineData("HierarchicalReasoningModel_ACTV1")]
    [InlineData("hrm")]
    public void Hrm_names_and_a_missing_name_give_hrm(string? name)
    {
        var json = "{" + (name is null ? "" : $"\"name\": \"{name}\", ") + Body + "}";
        var config = ConfigJson.Parse(json, "test");
        Assert.IsType<HrmConfig>(config);
        Assert.Same(Architecture.Hrm, config.Architecture);
        using var model = new ActModel(config);
        Assert.IsType<HrmInner>(model.inner);
        // Written back with the reference's name, so the file says what it is.
        Assert.Contains("\"name\": \"hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1\"", ConfigJson.ToJson(config));
        Assert.Same(Architecture.Hrm, ConfigJson.Parse(ConfigJson.ToJson(config), "again").Architecture);
    }

    [Fact]
    public void Every_registered_architecture_builds_from_its_reference_name()
    {
        foreach (var arch in Architecture.All)
        {
            var config = ConfigJson.Parse($"{{\"name\": \"{arch.ReferenceName}\", {Body}}}", arch.Name);
            Assert.Same(arch, config.Architecture);
            Assert.IsType(arch.ConfigType, config);
            using var model = new ActModel(config);
            Assert.Same(config, model.Config);
        }
    }

    [Fact]
    public void An_unknown_name_is_a_clear_error_in_model_and_training_configs()
    {
        var e = Assert.Throws<HrmException>(() => ConfigJson.Parse($"{{\"name\": \"foo.bar@Baz\", {Body}}}", "cfg.json"));
        Assert.StartsWith("cfg.json: unknown architecture 'foo.bar@Baz'", e.Message);
        Assert.Contains("hrm = hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1", e.Message);
        var t = Assert.Throws<HrmException>(() => TrainConfig.Parse("{\"arch\": {\"name\": \"nope\"}}", "train.json"));
        Assert.Contains("unknown architecture 'nope'", t.Message);
        var k = Assert.Throws<HrmException>(() => ConfigJson.Parse($"{{\"mlp_t\": true, {Body}}}", "cfg.json"));
        Assert.Contains("unknown config key 'mlp_t' for architecture hrm", k.Message);
    }
}
