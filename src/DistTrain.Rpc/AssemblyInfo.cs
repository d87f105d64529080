namespace DistTrain.Rpc;
