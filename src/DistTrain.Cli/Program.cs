using DistTrain.Cli.Commands;

return await DisttrainCommands.InvokeAsync(args);
