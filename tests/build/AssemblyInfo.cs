using Xunit;

// Most tests boot a VM: run one at a time, so that on a 2-core machine a test's timing, and so its time
// limit, does not depend on which other VMs happen to run beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
