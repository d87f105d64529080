namespace DistTrain.Benchmarks;
