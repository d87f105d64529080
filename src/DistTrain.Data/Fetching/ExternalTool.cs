// Runs a command-line tool the fetch depends on (npm, apt-get, dpkg-deb) and turns its absence or failure into a DataException.
using System.ComponentModel;
using System.Diagnostics;

namespace DistTrain.Data.Fetching;

internal static class ExternalTool
{
    private const int StderrTailChars = 2000;

    /// <summary>Runs the tool to completion and returns its standard output.</summary>
    /// <param name="hint">What the user can do instead; appended to every failure message.</param>
    public static async Task<string> RunAsync(
        string fileName, IReadOnlyList<string> arguments, string workingDirectory, string hint, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var commandLine = string.Join(' ', [fileName, .. arguments]);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new DataException($"`{commandLine}` could not be started. {hint}");
        }
        catch (Win32Exception e)
        {
            throw new DataException($"`{fileName}` was not found or could not be started ({e.Message}). {hint}", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Leaving a download running after the caller gave up would keep writing into a folder we delete.
                process.Kill(entireProcessTree: true);
                throw;
            }

            var stdout = await output.ConfigureAwait(false);
            var stderr = await error.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                var tail = stderr.Length > StderrTailChars ? stderr[^StderrTailChars..] : stderr;
                throw new DataException(
                    $"`{commandLine}` failed with exit code {process.ExitCode}: {tail.Trim()} {hint}");
            }

            return stdout;
        }
    }
}
