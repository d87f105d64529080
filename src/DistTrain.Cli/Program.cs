Console.Error.WriteLine("disttrain: commands are being wired up");
return 2;
