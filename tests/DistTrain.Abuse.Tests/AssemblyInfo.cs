// One campaign at a time: each trains on a 2-core machine while it is attacked, and its CPU and
// memory figures mean nothing if another campaign runs beside it.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
