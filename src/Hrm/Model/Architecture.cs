namespace Hrm.Model;

/// <summary>
/// An architecture that the ACT wrapper can run: its short name (as on the command line), the reference's
/// <c>module@Class</c> name (the "name" of an arch config), and its config record.
/// </summary>
public sealed record Architecture(string Name, string ReferenceName, Type ConfigType, string Description)
{
    public static readonly Architecture Hrm = new("hrm", "hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1", typeof(HrmConfig),
        "Hierarchical Reasoning Model: H and L modules, one-step gradient");

    public static IReadOnlyList<Architecture> All { get; } = [Hrm];

    /// <summary>The architecture a config's "name" names: the reference's module@Class, its class or our short name;
    /// null or empty means HRM (the reference's HRM configs often omit it).</summary>
    public static Architecture FromName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return Hrm;
        foreach (var a in All)
            if (name == a.Name || name == a.ReferenceName || name == a.ReferenceName[(a.ReferenceName.IndexOf('@') + 1)..])
                return a;
        throw new HrmException($"unknown architecture '{name}' (known: {string.Join(", ", All.Select(a => $"{a.Name} = {a.ReferenceName}"))})");
    }
}
