using DistTrain.Core;
using DistTrain.Training.Protocol.V1;

namespace DistTrain.Training.Protocol;

/// <summary>The network's shape in wire form and back.</summary>
public static class ModelSpecMapping
{
    public static ModelSpec ToWire(NetworkSpec spec)
    {
        var wire = new ModelSpec
        {
            Activation = spec.Activation switch
            {
                ActivationKind.Relu => Activation.Relu,
                ActivationKind.LeakyRelu => Activation.LeakyRelu,
                ActivationKind.Elu => Activation.Elu,
                ActivationKind.Sigmoid => Activation.Sigmoid,
                _ => Activation.Tanh,
            },
            Loss = spec.Loss == LossKind.CrossEntropy ? Loss.CrossEntropy : Loss.Mse,
        };
        wire.LayerSizes.AddRange(spec.LayerSizes.Select(s => (uint)s));
        return wire;
    }

    /// <summary>Null when the coordinator sent a shape this worker does not understand.</summary>
    public static NetworkSpec? FromWire(ModelSpec wire)
    {
        ActivationKind? activation = wire.Activation switch
        {
            Activation.Relu => ActivationKind.Relu,
            Activation.LeakyRelu => ActivationKind.LeakyRelu,
            Activation.Elu => ActivationKind.Elu,
            Activation.Sigmoid => ActivationKind.Sigmoid,
            Activation.Tanh => ActivationKind.Tanh,
            _ => null,
        };
        LossKind? loss = wire.Loss switch
        {
            Loss.CrossEntropy => LossKind.CrossEntropy,
            Loss.Mse => LossKind.MeanSquaredError,
            _ => null,
        };
        if (activation is null || loss is null || wire.LayerSizes.Count < 2 || wire.LayerSizes.Any(s => s is 0 or > 65536))
        {
            return null;
        }
        return new NetworkSpec(wire.LayerSizes.Select(s => (int)s).ToArray(), activation.Value, loss.Value);
    }
}
