using Glue.Fuzz;
using Xunit;

namespace Glue.Tests.Fuzz;

/// <summary>
/// CI's share of the fuzzing (./build.sh fuzz runs the real campaigns): every target of tests/fuzz runs over its
/// seed corpus, its regression inputs (findings of past campaigns, in tests/fuzz/corpus/TARGET/), and a fixed
/// number of mutations of them from a fixed seed, so the run is the same every time and takes seconds.
/// </summary>
public sealed class FuzzCorpusReplayTests
{
    private static readonly int MutationsPerTarget = int.Parse(Environment.GetEnvironmentVariable("GLUE_FUZZ_MUTATIONS") ?? "300");

    private static readonly string CorpusRoot =
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fuzz", "corpus"));

    public static TheoryData<string> Targets()
    {
        var data = new TheoryData<string>();
        foreach (var target in FuzzTargets.All) data.Add(target.Name);
        return data;
    }

    [Fact]
    public void Every_target_has_a_seed_corpus_and_every_corpus_a_target()
    {
        var folders = Directory.GetDirectories(CorpusRoot).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(FuzzTargets.All.Select(t => t.Name).Order().ToArray(), folders);
        foreach (var folder in folders) Assert.NotEmpty(Directory.GetFiles(Path.Combine(CorpusRoot, folder!)));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void The_target_survives_its_corpus_and_seeded_mutations_of_it(string name)
    {
        var target = FuzzTargets.Find(name)!;
        var corpus = Directory.GetFiles(Path.Combine(CorpusRoot, name)).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
        foreach (var input in corpus) target.Run(input);

        var random = new Random(int.Parse(Environment.GetEnvironmentVariable("GLUE_FUZZ_SEED") ?? "12345"));
        for (int i = 0; i < MutationsPerTarget; i++)
        {
            var input = Mutate(corpus[random.Next(corpus.Length)], corpus[random.Next(corpus.Length)], random);
            try
            {
                target.Run(input);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{name}: mutation {i} ({Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 64)))}...) threw {e}");
            }
        }
    }

    /// <summary>A few of AFL's havoc steps: flip a bit, set a byte to an edge value, insert, delete, splice.</summary>
    private static byte[] Mutate(byte[] input, byte[] other, Random random)
    {
        var bytes = new List<byte>(input);
        int steps = 1 + random.Next(8);
        for (int s = 0; s < steps; s++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)new[] { 0, 1, 0x7f, 0x80, 0xff, 0x10, 0x40 }[random.Next(7)];
                    break;
                case 2:
                    bytes.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(16)));
                    break;
                default:
                    int from = other.Length == 0 ? 0 : random.Next(other.Length);
                    bytes.InsertRange(at, other.Skip(from).Take(1 + random.Next(64)));
                    break;
            }
        }
        return [.. bytes];
    }
}
