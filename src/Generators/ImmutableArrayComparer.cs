using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Glue.Generators;

/// <summary>Compares arrays of strings by content, so an unchanged reference set stops the pipeline early.</summary>
internal sealed class ImmutableArrayComparer : IEqualityComparer<ImmutableArray<string>>
{
    public static readonly ImmutableArrayComparer Instance = new();

    public bool Equals(ImmutableArray<string> x, ImmutableArray<string> y) => x.SequenceEqual(y);

    public int GetHashCode(ImmutableArray<string> obj) => obj.Aggregate(17, (h, s) => h * 31 + s.GetHashCode());
}
