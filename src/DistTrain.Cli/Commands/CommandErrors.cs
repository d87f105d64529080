using DistTrain.Data;
using DistTrain.Training.Checkpoints;
using DistTrain.Training.Configuration;
using DistTrain.Training.Loop;

namespace DistTrain.Cli.Commands;

/// <summary>Turns the failures a user can fix into one clear line and an exit code.</summary>
public static class CommandErrors
{
    public static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is OptionsException or DataException or CheckpointException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (TrainingDivergedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Diverged;
        }
        catch (StateLostException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("stopped");
            return ExitCodes.Success;
        }
        catch (Exception e) when (PortInUse.IsCause(e))
        {
            Console.Error.WriteLine($"error: {e.Message.TrimEnd('.')} (another process holds that port: stop it, or choose another port with --listen)");
            return ExitCodes.BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }
}
