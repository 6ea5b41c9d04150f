using Glue.Fuzz;
using SharpFuzz;

// Glue.Fuzz TARGET          : AFL++ persistent mode through SharpFuzz (afl-fuzz starts it; `./build.sh fuzz` does both)
// Glue.Fuzz TARGET FILE...  : run the target once per file, outside AFL (to reproduce a crash)
if (args.Length == 0 || FuzzTargets.Find(args[0]) is not { } target)
{
    Console.Error.WriteLine("usage: Glue.Fuzz TARGET [FILE...]; targets:");
    foreach (var t in FuzzTargets.All) Console.Error.WriteLine($"  {t.Name,-20} {t.Feeds}");
    return 2;
}
if (args.Length == 1)
{
    // Inputs are copied out of AFL's shared buffer: the targets take a byte[] so they may keep parts of it.
    Fuzzer.OutOfProcess.Run(stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        target.Run(copy.ToArray());
    });
    return 0;
}
foreach (string file in args[1..])
{
    target.Run(File.ReadAllBytes(file));
    Console.WriteLine($"{file}: ok");
}
return 0;
