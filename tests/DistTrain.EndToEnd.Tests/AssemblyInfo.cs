// The end-to-end tests start whole training runs on a 2-core machine: one at a time keeps
// each within its timeout and their throughput figures meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
