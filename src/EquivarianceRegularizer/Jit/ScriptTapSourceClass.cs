namespace EquivarianceRegularizer.Jit;

/// <summary>A module class (<c>class Name(Module):</c>) in one of an archive's <c>code/**.py</c> files.</summary>
internal sealed class ScriptTapSourceClass
{
    internal ScriptTapSourceClass(string name, string qualifiedName, string entryName, int endLine)
    {
        Name = name;
        QualifiedName = qualifiedName;
        EntryName = entryName;
        EndLine = endLine;
    }

    /// <summary>The class's own name, which PyTorch's hooks report as <c>type(module).__name__</c>.</summary>
    public string Name { get; }

    /// <summary>The name other classes' annotations use, e.g. <c>__torch__.torch.nn.modules.conv.___torch_mangle_3.Conv2d</c>.</summary>
    public string QualifiedName { get; }

    /// <summary>The zip entry holding the class's source.</summary>
    public string EntryName { get; }

    /// <summary>The index of the first line after the class, where tapped methods are inserted.</summary>
    public int EndLine { get; }

    /// <summary>Declared attribute types by attribute name (children, parameters, constants alike).</summary>
    public Dictionary<string, string> AttributeTypes { get; } = new(StringComparer.Ordinal);

    /// <summary>The class's methods by name.</summary>
    public Dictionary<string, ScriptTapSourceMethod> Methods { get; } = new(StringComparer.Ordinal);
}
