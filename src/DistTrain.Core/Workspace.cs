// Preallocated activations of one network for up to B samples, so passes allocate nothing.
// Per layer l with H_l units: Z_l [B × H_l] pre-activations, A_l [B × H_l] activations (hidden layers only),
// Delta_l [B × H_l] loss gradients w.r.t. Z_l (and, before the activation backward, w.r.t. A_l). Input X [B × D].
namespace DistTrain.Core;

internal sealed class Workspace
{
    public Workspace(NetworkSpec spec, int maxBatch)
    {
        Input = new float[maxBatch * spec.InputSize];
        PreActivations = new float[spec.LayerCount][];
        Activations = new float[spec.LayerCount][];
        Deltas = new float[spec.LayerCount][];
        for (int layer = 0; layer < spec.LayerCount; layer++)
        {
            int units = spec.LayerSizes[layer + 1];
            PreActivations[layer] = new float[maxBatch * units];
            Deltas[layer] = new float[maxBatch * units];
            // The output layer's logits go straight into the loss.
            Activations[layer] = layer < spec.LayerCount - 1 ? new float[maxBatch * units] : [];
        }
    }

    public float[] Input { get; }

    public float[][] PreActivations { get; }

    public float[][] Activations { get; }

    public float[][] Deltas { get; }
}
